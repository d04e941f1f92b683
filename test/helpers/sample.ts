// The seed's sample file, sample_data/example.csv, as the text tests upload: one copy of it, the one users run.
import { readFileSync } from 'node:fs'

export const SEED = readFileSync(new URL('../../sample_data/example.csv', import.meta.url), 'utf8')
