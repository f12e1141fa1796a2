import { ConfigError, loadConfig } from '../../../services/common/config';

describe('loadConfig', () => {
  it('defaults to the local stack', () => {
    const config = loadConfig({});
    expect(config.CDP_KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(config.CDP_SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(config.CDP_REDIS_URL).toBe('redis://127.0.0.1:6379');
    expect(config.CDP_CLICKHOUSE_URL).toBe('http://127.0.0.1:8123');
    expect(config.CDP_COLLECTOR_PORT).toBe(8088);
  });

  it('parses overrides and treats empty variables as unset', () => {
    const config = loadConfig({
      CDP_KAFKA_BROKERS: 'a:1, b:2',
      CDP_TOPIC_PARTITIONS: '12',
      CDP_REDIS_URL: '',
    });
    expect(config.CDP_KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
    expect(config.CDP_TOPIC_PARTITIONS).toBe(12);
    expect(config.CDP_REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it.each([
    [
      'CDP_REDIS_URL',
      'localhost:6379',
      /CDP_REDIS_URL must be a URL starting with redis:\/\/ or rediss:\/\//,
    ],
    [
      'CDP_KAFKA_BROKERS',
      'broker-without-port',
      /CDP_KAFKA_BROKERS must be a comma-separated list of host:port/,
    ],
    ['CDP_TOPIC_PARTITIONS', '-3', /CDP_TOPIC_PARTITIONS/],
    ['CDP_COLLECTOR_PORT', '70000', /CDP_COLLECTOR_PORT/],
    ['CDP_LOG_LEVEL', 'loud', /CDP_LOG_LEVEL/],
  ])('rejects a bad %s with one line naming it', (name, value, pattern) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toMatch(pattern);
    expect(message).toContain(`(got '${value}')`);
    expect(message).not.toContain('\n');
  });
});
