// The one Redis client factory. Commands queue while Redis is away so callers see latency, not loss.
import Redis from 'ioredis';

export type { Redis };

export function createRedis(url: string, name = 'cdp'): Redis {
  return new Redis(url, {
    connectionName: name,
    // Retry forever with a capped delay: the runner treats a slow command as a transient fault.
    retryStrategy: (times) => Math.min(times * 200, 5000),
    maxRetriesPerRequest: 3,
    enableAutoPipelining: true,
    lazyConnect: false,
  });
}
