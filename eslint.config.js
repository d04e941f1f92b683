// Lint configuration: neostandard, the style of the Fastify ecosystem, with TypeScript support.
import neostandard from 'neostandard'

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', '.data/**', 'openapi/**', 'shared/wasm/*.as.ts'] }),
  // A TypeBox schema or an `as const` object and its static type share one name, by design.
  { rules: { '@typescript-eslint/no-redeclare': 'off' } },
  // CDK constructs attach themselves to their scope when constructed; `new` for its side effect is the idiom.
  { files: ['infra/**'], rules: { 'no-new': 'off' } }
]
