// Lint configuration: neostandard, the style of the Fastify ecosystem, with TypeScript support, and the folder
// boundaries of the architecture (README, Architecture), enforced here rather than remembered.
import neostandard from 'neostandard'

/** Relative imports of another top-level folder, from one or two levels below the root. */
const folder = name => [`../${name}/*`, `../../${name}/*`, `../${name}/**`, `../../${name}/**`]

/** One `no-restricted-imports` rule for `files`: forbidden folders and packages, each with why. */
function boundary (files, { folders = [], packages = [], why }) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          ...folders.map(name => ({ group: folder(name), message: `${why} (no import from ${name}/)` })),
          ...packages.map(name => ({ group: [name, `${name}/*`], message: `${why} (no ${name})` }))
        ]
      }]
    }
  }
}

export default [
  ...neostandard({ ts: true, ignores: ['dist/**', 'coverage/**', '.tap/**', '.data/**', 'openapi/**', 'shared/wasm/*.as.ts'] }),
  // A TypeBox schema or an `as const` object and its static type share one name, by design.
  { rules: { '@typescript-eslint/no-redeclare': 'off' } },
  // CDK constructs attach themselves to their scope when constructed; `new` for its side effect is the idiom.
  { files: ['infra/**'], rules: { 'no-new': 'off' } },

  boundary(['shared/**'], {
    folders: ['api', 'aws', 'lambda', 'embedded', 'infra', 'scripts', 'test', 'web'],
    packages: ['@aws-sdk', '@smithy', 'fastify', '@fastify', 'pino', 'node:fs', 'fs', 'node:child_process', 'node:http', 'node:net'],
    why: 'shared/ is the pure core: no framework, no AWS SDK, no file system'
  }),
  boundary(['aws/**'], {
    folders: ['api', 'lambda', 'embedded', 'infra', 'scripts', 'test'],
    packages: ['fastify', '@fastify'],
    why: 'aws/ holds the AWS SDK adapters of the core; its callers come to it'
  }),
  boundary(['api/**'], {
    folders: ['lambda', 'embedded', 'infra', 'scripts', 'test', 'web'],
    why: 'api/ is the HTTP adapter: it never reaches the handler or the emulators, and serves the page only as built files'
  }),
  boundary(['lambda/**'], {
    folders: ['api', 'embedded', 'infra', 'scripts', 'test'],
    packages: ['fastify', '@fastify'],
    why: 'lambda/ is the handler and its wiring only'
  }),
  boundary(['infra/**'], {
    folders: ['lambda', 'embedded', 'test'],
    why: 'infra/ describes the deployment; it does not run the handler or the emulators'
  }),
  boundary(['embedded/**'], {
    folders: ['lambda', 'scripts', 'test'],
    why: 'embedded/ runs the deployed handler by its module path, as Lambda would, never by import'
  }),
  boundary(['web/**'], {
    folders: ['api', 'aws', 'lambda', 'embedded', 'infra', 'scripts', 'test'],
    packages: ['node:*', 'fs', '@aws-sdk', '@smithy', 'fastify', '@fastify', 'pino', 'esbuild'],
    why: 'web/ is the page, run by browsers: it talks to the API over HTTP and shares only shared/\'s types and rules'
  }),
  boundary(['scripts/**'], {
    folders: ['test'],
    why: 'scripts/ are the product\'s tools: what they share with the tests lives in scripts/lib/'
  })
]
