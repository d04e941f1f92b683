// docker-compose.yml and the Dockerfile, checked without a Docker engine: the wiring between the services, every
// variable is one the product reads, the commands name files the build writes, and the image needs no dev dependency.
import t from 'tap'
import { readFile } from 'node:fs/promises'
import { builtinModules } from 'node:module'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { EmbeddedSettings } from '../../embedded/config.ts'
import { variableName } from '../../shared/config.ts'
import { SERVER_ENTRY_POINTS, serverPackageImports } from '../../scripts/build.ts'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const read = (name: string) => readFile(`${ROOT}/${name}`, 'utf8')

interface Service {
  image?: string
  build?: string
  command?: string[]
  environment?: Record<string, string>
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
}
const compose = parse(await read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service>, networks: { default: { name: string } } }
const { localstack, provision, api } = compose.services
const dockerfile = await read('Dockerfile')
const packageJson = JSON.parse(await read('package.json')) as { dependencies: Record<string, string> }

t.test('LocalStack: a 4.x tag that needs no auth token, the services the pipeline uses, Lambda on the compose network', async t => {
  t.equal(localstack?.image, 'localstack/localstack:4.14.0')
  t.same(localstack?.environment?.SERVICES?.split(',').sort(), ['dynamodb', 'events', 'iam', 'lambda', 'logs', 's3', 'sqs'])
  t.equal(localstack?.environment?.LAMBDA_DOCKER_NETWORK, compose.networks.default.name)
  t.same(localstack?.ports, ['127.0.0.1:4566:4566'], 'reachable from this machine only')
})

t.test('provisioning runs once LocalStack is healthy, and the API once provisioning succeeded', async t => {
  t.same(provision?.depends_on, { localstack: { condition: 'service_healthy' } })
  t.same(api?.depends_on, { provision: { condition: 'service_completed_successfully' } })
  t.equal(provision?.image, api?.image, 'one image for both')
  t.same(provision?.command?.slice(-1), [`dist/server/${SERVER_ENTRY_POINTS.provision}`])
  t.match(dockerfile, `CMD ["node", "--enable-source-maps", "dist/server/${SERVER_ENTRY_POINTS.server}"]`)
})

t.test('the containers reach LocalStack by its service name; presigned URLs point where the host reaches it', async t => {
  for (const service of [provision, api]) t.equal(service?.environment?.AWS_ENDPOINT_URL, 'http://localstack:4566')
  t.equal(api?.environment?.S3_PUBLIC_ENDPOINT, 'http://localhost:4566')
  t.same([provision?.environment?.WEBHOOK_URLS, provision?.environment?.WEBHOOK_SECRET], ['WEBHOOK_URLS', 'WEBHOOK_SECRET'].map(name => `\${${name}:-}`),
    'webhooks are provisioned when the shell sets them')
  t.same(api?.ports, ['127.0.0.1:3000:3000'])
})

t.test('every variable given to the product is one it reads (a typo would be silently ignored)', async t => {
  const known = new Set([...Object.keys(EmbeddedSettings.properties).map(variableName), 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'])
  for (const service of [provision, api]) {
    for (const name of Object.keys(service?.environment ?? {})) t.ok(known.has(name), name)
  }
  const imageEnv = /^ENV (.+)$/m.exec(dockerfile)?.[1]?.split(' ').map(pair => pair.split('=')[0]!) ?? []
  t.same(imageEnv, ['NODE_ENV', 'STACK', 'HOST', 'PORT'])
})

t.test('the Dockerfile: multi-stage, npm ci, build, production dependencies only, non-root, health check', async t => {
  t.equal(dockerfile.match(/^FROM node:22-bookworm-slim/gm)?.length, 2)
  t.match(dockerfile, /RUN npm ci\n/)
  t.match(dockerfile, /RUN npm run build && npm prune --omit=dev/)
  t.match(dockerfile, /^USER node$/m)
  t.match(dockerfile, /^HEALTHCHECK .*\n.*\/health/m)
  const ignored = (await read('.dockerignore')).split('\n')
  for (const path of ['node_modules', 'dist', '.data', '.git']) t.ok(ignored.includes(path), `.dockerignore: ${path}`)
})

t.test('the container entry points import only production dependencies and Node built-ins', async t => {
  const imports = await serverPackageImports()
  t.ok(imports.length > 5, `imports found: ${imports.join(', ')}`)
  const builtins = new Set(builtinModules)
  const missing = imports.filter(name => !builtins.has(name.replace(/^node:/, '')) && packageJson.dependencies[name] === undefined)
  t.same(missing, [], 'npm prune --omit=dev keeps all of them')
})
