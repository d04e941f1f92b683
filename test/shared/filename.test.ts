// Upload filename rules: what passes, and the reason given for what does not.
import t from 'tap'
import { filenameProblem } from '../../shared/filename.ts'

t.test('accepts ordinary CSV, TSV and text names in any case, gzipped or not', async t => {
  for (const name of ['example.csv', 'REPORT.CSV', 'my data (1).Csv', 'données été.csv', 'a.b.c.csv', 'x'.repeat(251) + '.csv',
    'data.tsv', 'Unicode Text.TXT', 'data.csv.gz', 'DATA.TSV.GZ', 'export.txt.gz', 'x'.repeat(248) + '.csv.gz']) {
    t.equal(filenameProblem(name), undefined, name)
  }
})

t.test('rejects with a reason', async t => {
  const cases: Array<[string, RegExp]> = [
    ['', /must not be empty/],
    ['x'.repeat(252) + '.csv', /at most 255 characters, got 256/],
    ['dir/file.csv', /must not contain "\/"/],
    ['dir\\file.csv', /must not contain/],
    ['bad\u0000name.csv', /control characters/],
    ['tab\tname.csv', /control characters/],
    ['.hidden.csv', /must not start with "\."/],
    ['.csv', /must not start with "\."/],
    ['data.xlsx', /must end in "\.csv", "\.tsv" or "\.txt", or one of them and "\.gz"/],
    ['data.gz', /must end in "\.csv"/],
    ['data.csv.zip', /must end in "\.csv"/],
    ['data.csv.gz.bak', /must end in "\.csv"/],
    ['.csv.gz', /must not start with "\."/],
    [' .tsv.gz', /a name before "\.tsv\.gz", not only spaces/]
  ]
  for (const [name, reason] of cases) t.match(filenameProblem(name), reason, JSON.stringify(name))
})
