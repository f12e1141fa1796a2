// The one configuration loader: every setting comes from the environment, parsed once by zod,
// with defaults that point at the local stack started by `cdp up`.
import path from 'node:path';
import { z } from 'zod';

export const repoRoot = path.resolve(
  __dirname,
  '..',
  '..',
  ...(__dirname.includes(`${path.sep}dist${path.sep}`) ? ['..'] : []),
);

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

function urlWithProtocols(protocols: string[]) {
  return z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );
}

const brokerList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((b) => b.trim())
      .filter((b) => b.length > 0),
  )
  .refine((brokers) => brokers.length > 0 && brokers.every((b) => /^[^\s:]+:\d{1,5}$/.test(b)), {
    message: 'must be a comma-separated list of host:port',
  });

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

export const configSchema = z.object({
  CDP_HOME: z.string().default(path.join(repoRoot, '.cdp')),
  CDP_LOG_LEVEL: logLevel.default('info'),
  CDP_KAFKA_BROKERS: brokerList.default(['127.0.0.1:9092']),
  CDP_KAFKA_CLIENT_ID: z.string().min(1).default('cdp'),
  CDP_SCHEMA_REGISTRY_URL: urlWithProtocols(['http:', 'https:']).default(
    'http://127.0.0.1:8081/apis/ccompat/v7',
  ),
  CDP_REDIS_URL: urlWithProtocols(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  CDP_CLICKHOUSE_URL: urlWithProtocols(['http:', 'https:']).default('http://127.0.0.1:8123'),
  CDP_CLICKHOUSE_DATABASE: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain identifier')
    .default('cdp'),
  CDP_CLICKHOUSE_USER: z.string().default('default'),
  CDP_CLICKHOUSE_PASSWORD: z.string().default(''),
  CDP_TENANTS_FILE: z.string().default(path.join(repoRoot, 'config', 'tenants.example.json')),
  CDP_TOPIC_PARTITIONS: positiveInt.default(6),
  // Unset: from the broker count at `cdp topics apply` (see resolveReplication in kafka/topics.ts).
  CDP_TOPIC_REPLICATION_FACTOR: positiveInt.optional(),
  CDP_TOPIC_MIN_INSYNC_REPLICAS: positiveInt.optional(),
  CDP_KEY_CONCURRENCY: positiveInt.default(32),
  CDP_PARTITIONS_CONCURRENTLY: positiveInt.default(6),
  // Redis connections the identity resolver spreads its per-event script calls over (see main.ts).
  CDP_RESOLVER_REDIS_CONNECTIONS: positiveInt.default(3),
  // Share of the time the privacy service's ClickHouse mutations may run (privacy/mutation-pacer.ts).
  CDP_PRIVACY_MUTATION_DUTY: z.coerce.number().gt(0).lte(1).default(0.2),
  CDP_RETRY_INITIAL_MS: positiveInt.default(200),
  CDP_RETRY_MAX_MS: positiveInt.default(30000),
  // A record failing this many times with an error of unknown cause goes to the DLQ with its stack.
  CDP_RUNNER_MAX_UNKNOWN_FAILURES: positiveInt.default(10),
  // Bytes per produce request: below the broker's message.max.bytes (1,048,588 by default).
  CDP_KAFKA_MAX_REQUEST_BYTES: positiveInt.default(1_000_000),
  CDP_KAFKA_SESSION_TIMEOUT_MS: positiveInt.default(30000),
  CDP_SHUTDOWN_TIMEOUT_MS: positiveInt.default(30000),
  CDP_OPS_HOST: z.string().default('127.0.0.1'),
  CDP_OPS_PORT: port.optional(),
  CDP_COLLECTOR_HOST: z.string().default('127.0.0.1'),
  CDP_COLLECTOR_PORT: port.default(8088),
  // Segment's limits: 32 KB per event, 500 KB per batch request (measured on the decompressed body).
  CDP_COLLECTOR_MAX_EVENT_BYTES: positiveInt.default(32 * 1024),
  CDP_COLLECTOR_MAX_BATCH_BYTES: positiveInt.default(500 * 1024),
  // Below the SDKs' 10 s HTTP timeout, so a client sees our 503 rather than its own timeout.
  CDP_COLLECTOR_PRODUCE_TIMEOUT_MS: positiveInt.default(5000),
  CDP_COLLECTOR_RETRY_AFTER_SECONDS: positiveInt.default(5),
  // Encoded events that may wait behind the Kafka send in flight; past it requests get 503.
  CDP_COLLECTOR_MAX_QUEUED_BYTES: positiveInt.default(16 * 1024 * 1024),
  CDP_PROFILE_API_HOST: z.string().default('127.0.0.1'),
  CDP_PROFILE_API_PORT: port.default(8090),
  // Per read key: a token bucket refilled at this rate (requests/s) holding at most BURST; 0 turns it off.
  CDP_PROFILE_API_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).default(500),
  CDP_PROFILE_API_RATE_LIMIT_BURST: positiveInt.default(1000),
  CDP_LOCAL_KAFKA_CONTROLLER_PORT: port.default(9093),
  CDP_LOCAL_CLICKHOUSE_TCP_PORT: port.default(9000),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError whose message is one line naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    // An empty variable means "unset" so that `CDP_X= cmd` falls back to the default.
    if (key.startsWith('CDP_') && value !== undefined && value !== '') relevant[key] = value;
  }
  const parsed = configSchema.safeParse(relevant);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    const got = relevant[name];
    throw new ConfigError(
      `invalid configuration: ${name} ${issue?.message ?? 'is invalid'}${got === undefined ? '' : ` (got '${got}')`}`,
    );
  }
  return parsed.data;
}
