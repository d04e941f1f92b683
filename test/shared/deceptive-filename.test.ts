// Filenames that display as something they are not are refused, each with the rule it breaks.
import t from 'tap'
import { filenameProblem } from '../../shared/filename.ts'
import { printable } from '../../shared/printable.ts'

t.test('refuses deceptive names, saying which rule', async t => {
  const cases: Array<[string, RegExp]> = [
    ['evil\u202efdp.csv', /bidirectional text controls such as U\+202E/],
    ['a\u2066b.csv', /bidirectional text controls such as U\+2066/],
    ['a\u200fb.csv', /bidirectional text controls such as U\+200F/],
    ['a\u061cb.csv', /bidirectional text controls such as U\+061C/],
    ['a\u2028b.csv', /line or paragraph separators/],
    ['a\u2029b.csv', /line or paragraph separators/],
    ['a\uff0fb.csv', /"／" \(U\+FF0F\), which looks like "\/"/],
    ['a\u2215b.csv', /U\+2215/],
    ['a\u2044b.csv', /U\+2044/],
    ['a\u29f8b.csv', /U\+29F8/],
    ['a\uff3cb.csv', /U\+FF3C/],
    ['   .csv', /a name before "\.csv", not only spaces/],
    ['\u3000\u00a0.CSV', /not only spaces/],
    ['\u200b.csv', /not only spaces/],
    ['e\u0301.csv', /normalization form NFC.*send "é\.csv"/],
    ['a\ud800b.csv', /valid Unicode text/],
    ['a\udc00.csv', /valid Unicode text/]
  ]
  for (const [name, reason] of cases) t.match(filenameProblem(name), reason, printable(name))
})

t.test('the detail never carries the bidi control itself', async t => {
  t.notMatch(filenameProblem('evil\u202efdp.csv'), /\u202e/)
})

t.test('still accepts names that only look unusual', async t => {
  for (const name of ['\u00e9.csv', 'données été.csv', '日本語.csv', 'emoji 😀.csv', ' leading space.csv', 'a b.csv', 'ＡＢＣ.csv']) {
    t.equal(filenameProblem(name), undefined, printable(name))
  }
})
