// Configuration: defaults, precedence, the stack choice, and messages that name a bad variable.
import t from 'tap'
import { ConfigError } from '../../shared/config.ts'
import { loadEmbeddedConfig as loadConfig } from '../../embedded/config.ts'

t.test('defaults run the embedded stack on the seed names', async t => {
  const config = loadConfig({})
  t.match(config, {
    stack: 'embedded',
    bucketName: 'test-bucket',
    tableName: 'MetadataTable',
    port: 3000,
    embeddedPort: 4566,
    awsEndpoint: 'http://127.0.0.1:4566',
    s3PublicEndpoint: 'http://127.0.0.1:4566',
    uploadUrlExpiresIn: 900,
    maxUploadBytes: 5 * 1024 ** 3
  })
  t.ok(Object.isFrozen(config))
})

t.test('environment values are converted and used', async t => {
  const config = loadConfig({ PORT: '8080', BUCKET_NAME: 'uploads', EMBEDDED_PORT: '5000', UPLOAD_URL_EXPIRES_IN: '60' })
  t.match(config, { port: 8080, bucketName: 'uploads', awsEndpoint: 'http://127.0.0.1:5000', uploadUrlExpiresIn: 60 })
})

t.test('an endpoint, a profile or an AWS runtime means external AWS', async t => {
  t.match(loadConfig({ AWS_ENDPOINT_URL: 'http://localhost:4566' }), { stack: 'external', awsEndpoint: 'http://localhost:4566' })
  t.match(loadConfig({ AWS_PROFILE: 'prod' }), { stack: 'external', awsEndpoint: undefined })
  t.match(loadConfig({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }), { stack: 'external' })
  t.match(loadConfig({ AWS_PROFILE: 'prod', STACK: 'embedded' }), { stack: 'embedded' }, 'STACK wins')
})

t.test('inside a LocalStack Lambda container the endpoint comes from the variables LocalStack sets', async t => {
  const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x' }
  t.match(loadConfig({ ...lambda, AWS_ENDPOINT_URL: 'http://localhost.localstack.cloud:4566', LOCALSTACK_HOSTNAME: 'ignored' }),
    { stack: 'external', awsEndpoint: 'http://localhost.localstack.cloud:4566' }, 'AWS_ENDPOINT_URL first')
  t.match(loadConfig({ ...lambda, LOCALSTACK_HOSTNAME: '172.18.0.2', EDGE_PORT: '4566' }), { stack: 'external', awsEndpoint: 'http://172.18.0.2:4566' })
  t.match(loadConfig({ LOCALSTACK_HOSTNAME: 'localstack' }), { stack: 'external', awsEndpoint: 'http://localstack:4566' }, 'EDGE_PORT defaults to 4566')
  t.match(loadConfig(lambda), { stack: 'external', awsEndpoint: undefined }, 'neither: real AWS')
})

t.test('the public S3 endpoint can differ from the one the API uses', async t => {
  const config = loadConfig({ AWS_ENDPOINT_URL: 'http://localstack:4566', S3_PUBLIC_ENDPOINT: 'http://localhost:4566' })
  t.equal(config.awsEndpoint, 'http://localstack:4566')
  t.equal(config.s3PublicEndpoint, 'http://localhost:4566')
})

t.test('explicit options win over the environment', async t => {
  t.equal(loadConfig({ PORT: '8080' }, { port: 9090 }).port, 9090)
  t.equal(loadConfig({}, { embeddedPort: 4999 }).awsEndpoint, 'http://127.0.0.1:4999')
})

t.test('bad values fail at start-up naming every bad variable', async t => {
  const err = t.throws(() => loadConfig({ PORT: 'abc', BUCKET_NAME: 'Bad_Bucket', LOG_LEVEL: 'loud' })) as ConfigError
  t.type(err, ConfigError)
  t.match(err.message, /PORT="abc": must be integer \(Port the API listens on\.\)/)
  t.match(err.message, /BUCKET_NAME="Bad_Bucket"/)
  t.match(err.message, /LOG_LEVEL="loud"/)
  t.throws(() => loadConfig({ LAMBDA_CONCURRENCY: '0' }), /LAMBDA_CONCURRENCY="0"/)
  t.throws(() => loadConfig({ AWS_ENDPOINT_URL: 'localhost:4566' }), /AWS_ENDPOINT_URL/)
})

t.test('the processor reads objects in ranges of S3_RANGE_BYTES, S3_READ_CONCURRENCY at a time; 1 is one stream', async t => {
  t.match(loadConfig({}), { s3RangeBytes: 8 * 1024 * 1024, s3ReadConcurrency: 4 })
  t.match(loadConfig({ S3_RANGE_BYTES: '16777216', S3_READ_CONCURRENCY: '1' }), { s3RangeBytes: 16 * 1024 * 1024, s3ReadConcurrency: 1 })
  const err = t.throws(() => loadConfig({ S3_RANGE_BYTES: '1000', S3_READ_CONCURRENCY: '0' })) as ConfigError
  t.match(err.message, /S3_RANGE_BYTES="1000": must be >= 65536 \(Bytes per GetObject/)
  t.match(err.message, /S3_READ_CONCURRENCY="0": must be >= 1 \(GetObject requests the processor keeps in flight/)
  t.throws(() => loadConfig({ S3_RANGE_BYTES: '8MB' }), /S3_RANGE_BYTES="8MB": must be integer/)
  t.throws(() => loadConfig({ S3_READ_CONCURRENCY: '33' }), /S3_READ_CONCURRENCY="33": must be <= 32/)
})
