// The four services of the local stack: where each is expected (from config) and whether this
// machine should run it (only loopback addresses are started locally).
import type { Config } from '../../common/config';

export type StackServiceName = 'kafka' | 'schema-registry' | 'redis' | 'clickhouse';

export interface StackService {
  name: StackServiceName;
  address: string;
  host: string;
  port: number;
  /** Env var a user sets to move or replace it. */
  envVar: string;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

function fromUrl(url: string, defaultPort: number): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: u.port ? Number(u.port) : defaultPort };
}

export function stackServices(config: Config): StackService[] {
  const [kafkaHost = '127.0.0.1', kafkaPort = '9092'] = (
    config.CDP_KAFKA_BROKERS[0] ?? '127.0.0.1:9092'
  ).split(':');
  const registry = fromUrl(config.CDP_SCHEMA_REGISTRY_URL, 80);
  const redis = fromUrl(config.CDP_REDIS_URL, 6379);
  const clickhouse = fromUrl(config.CDP_CLICKHOUSE_URL, 8123);
  return [
    {
      name: 'kafka',
      address: `${kafkaHost}:${kafkaPort}`,
      host: kafkaHost,
      port: Number(kafkaPort),
      envVar: 'CDP_KAFKA_BROKERS',
    },
    {
      name: 'schema-registry',
      address: config.CDP_SCHEMA_REGISTRY_URL,
      ...registry,
      envVar: 'CDP_SCHEMA_REGISTRY_URL',
    },
    { name: 'redis', address: config.CDP_REDIS_URL, ...redis, envVar: 'CDP_REDIS_URL' },
    { name: 'clickhouse', address: config.CDP_CLICKHOUSE_URL, ...clickhouse, envVar: 'CDP_CLICKHOUSE_URL' },
  ];
}

export function isLocal(service: StackService): boolean {
  return LOOPBACK.has(service.host);
}

/** Environment for infra/local/stack.sh: the ports it should bind, derived from the addresses. */
export function stackScriptEnv(config: Config, services: StackService[]): Record<string, string> {
  const port = (name: StackServiceName) => String(services.find((s) => s.name === name)?.port);
  return {
    CDP_HOME: config.CDP_HOME,
    CDP_LOCAL_KAFKA_PORT: port('kafka'),
    CDP_LOCAL_KAFKA_CONTROLLER_PORT: String(config.CDP_LOCAL_KAFKA_CONTROLLER_PORT),
    CDP_LOCAL_REGISTRY_PORT: port('schema-registry'),
    CDP_LOCAL_REDIS_PORT: port('redis'),
    CDP_LOCAL_CLICKHOUSE_HTTP_PORT: port('clickhouse'),
    CDP_LOCAL_CLICKHOUSE_TCP_PORT: String(config.CDP_LOCAL_CLICKHOUSE_TCP_PORT),
  };
}
