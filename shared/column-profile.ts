// The column profile of a file: its schema (shared by the extractor, the API and the docs) and its summary form.
import Type, { type Static } from 'typebox'

/** Inferred column types, from the narrowest; a value that breaks a type widens the column, never fails it. */
export const ColumnType = Type.Enum(['empty', 'boolean', 'integer', 'number', 'date', 'datetime', 'string'], {
  description: 'The narrowest type every non-null value fits: `empty` when there is none; integer widens to number, date to datetime, anything to string.',
  examples: ['integer']
})

/** Tokens counted as null (besides empty fields), compared exactly, case-sensitively. */
export const NULL_TOKENS = ['NA', 'N/A', 'NULL', 'null', 'NaN', 'None', '-'] as const

const Bound = Type.Union([Type.Number(), Type.String(), Type.Null()], {
  description: 'A number for integer and number columns, an ISO 8601 string for date and datetime columns, null otherwise.',
  examples: [25, '2024-01-01', null]
})

export const DistinctCount = Type.Object({
  count: Type.Integer({ minimum: 0, description: 'Distinct non-null values.', examples: [2] }),
  exact: Type.Boolean({ description: 'True when counted exactly; false when estimated (HyperLogLog) past the exact bound.', examples: [true] }),
  standard_error: Type.Optional(Type.Number({ description: 'Relative standard error of the estimate, when not exact (0.0081 is 0.81%).', examples: [0.0081] }))
}, { description: 'How many different values the column holds.', examples: [{ count: 2, exact: true }, { count: 1_048_211, exact: false, standard_error: 0.0081 }] })

export const ColumnProfile = Type.Object({
  name: Type.String({ description: 'Column name (column_N without a header).', examples: ['age'] }),
  type: ColumnType,
  formats: Type.Array(Type.String(), { description: 'The formats seen for the type, e.g. `YYYY-MM-DD`, `DD.MM.YYYY` (day first, with dots), `MM/DD/YYYY` or `DD/MM/YYYY` (with slashes, whichever reading fits every such value in the column), `true/false`, `1e3`, `1,5` (a decimal comma), `1,234.5`, `1.234,5` or `1 234,5` (thousands grouped; the column reads the decimal mark every number in it fits).', examples: [['YYYY-MM-DD']] }),
  values: Type.Integer({ minimum: 0, description: 'Fields that are neither empty nor a null token.', examples: [2] }),
  empty: Type.Integer({ minimum: 0, description: 'Empty fields (zero characters; a quoted "" too).', examples: [0] }),
  nulls: Type.Integer({ minimum: 0, description: 'Fields equal to a null token (see null_tokens).', examples: [0] }),
  min: Bound,
  max: Bound,
  mean: Type.Union([Type.Number(), Type.Null()], { description: 'Mean of an integer or number column, else null.', examples: [27.5] }),
  min_length: Type.Union([Type.Integer(), Type.Null()], { description: 'Fewest characters in a non-null value.', examples: [2] }),
  max_length: Type.Union([Type.Integer(), Type.Null()], { description: 'Most characters in a non-null value.', examples: [2] }),
  distinct: DistinctCount,
  samples: Type.Array(Type.String(), { description: 'Up to 5 distinct values, in the order first seen (each cut to 80 characters).', examples: [['30', '25']] })
}, { description: 'What one column holds, over every row of the file.' })

export const FileProfile = Type.Object({
  sha256: Type.String({ description: 'SHA-256 of the object as stored (hex), before decompression.', examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'] }),
  bytes: Type.Integer({ minimum: 0, description: 'Bytes of text read (decompressed, decoded to UTF-8).', examples: [85] }),
  rows: Type.Integer({ minimum: 0, description: 'Data rows profiled (equals row_count).', examples: [2] }),
  null_tokens: Type.Array(Type.String(), { description: 'The values counted as null besides empty fields.', examples: [[...NULL_TOKENS]] }),
  columns: Type.Array(ColumnProfile, { description: 'Every column, in header order.' })
}, {
  $id: 'FileProfile',
  description: 'The profile of every column, computed over the whole file in the same pass that counts its rows. Every figure is exact except distinct counts marked `exact: false`.',
  // The profile of sample_data/example.csv, as GET /files/example.csv/profile answers it (a test holds it to that).
  examples: [{
    sha256: '9272e2cae2011e5177bababc78352a9e7c96d692bc4c5287342f6d4920a83cc4',
    bytes: 85,
    rows: 2,
    null_tokens: ['NA', 'N/A', 'NULL', 'null', 'NaN', 'None', '-'],
    columns: [
      { name: 'id', type: 'integer', formats: ['123'], values: 2, empty: 0, nulls: 0, min: 1, max: 2, mean: 1.5, min_length: 1, max_length: 1, distinct: { count: 2, exact: true }, samples: ['1', '2'] },
      { name: 'name', type: 'string', formats: [], values: 2, empty: 0, nulls: 0, min: null, max: null, mean: null, min_length: 4, max_length: 4, distinct: { count: 2, exact: true }, samples: ['John', 'Jane'] },
      { name: 'age', type: 'integer', formats: ['123'], values: 2, empty: 0, nulls: 0, min: 25, max: 30, mean: 27.5, min_length: 2, max_length: 2, distinct: { count: 2, exact: true }, samples: ['25', '30'] },
      { name: 'city', type: 'string', formats: [], values: 2, empty: 0, nulls: 0, min: null, max: null, mean: null, min_length: 8, max_length: 11, distinct: { count: 2, exact: true }, samples: ['New York', 'Los Angeles'] },
      { name: 'date', type: 'date', formats: ['YYYY-MM-DD'], values: 2, empty: 0, nulls: 0, min: '2024-01-01', max: '2024-01-02', mean: null, min_length: 10, max_length: 10, distinct: { count: 2, exact: true }, samples: ['2024-01-01', '2024-01-02'] }
    ]
  }]
})

/** One column as the record summarizes it; GET /files/{name}/profile has the rest (bounds, lengths, formats, samples). */
export const ColumnSummary = Type.Pick(ColumnProfile, ['name', 'type', 'empty', 'nulls', 'distinct'], {
  description: 'One column at a glance: its type, empty and null counts and distinct count, as in the profile.'
})

/** The record's per-column summary of a profile, in column order. */
export function summarizeColumns (profile: FileProfile): ColumnSummary[] {
  return profile.columns.map(({ name, type, empty, nulls, distinct }) => ({ name, type, empty, nulls, distinct }))
}

export type ColumnType = Static<typeof ColumnType>
export type DistinctCount = Static<typeof DistinctCount>
export type ColumnProfile = Static<typeof ColumnProfile>
export type FileProfile = Static<typeof FileProfile>
export type ColumnSummary = Static<typeof ColumnSummary>
