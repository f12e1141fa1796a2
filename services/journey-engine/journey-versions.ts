// Journey bodies by version. The current version comes from the definitions topic; an instance runs
// on the version it started with until it ends, so every version an instance may start on is kept in
// Redis (journey-keys.ts) before it is used, and read back after a restart.
import type { Redis } from 'ioredis';
import { journeySchema, type Journey } from '../common/definitions/kinds/journey';
import { journeyVersionsKey } from './journey-keys';

export class JourneyVersions {
  private readonly memory = new Map<string, Journey>();
  private readonly saved = new Set<string>();

  constructor(private readonly redis: Redis) {}

  private key(tenant: string, id: string, version: number): string {
    return `${tenant}\u0000${id}\u0000${version}`;
  }

  /** Keeps the body of a version (idempotent): call before an instance may start on it. */
  async save(tenant: string, id: string, version: number, body: Journey): Promise<void> {
    const k = this.key(tenant, id, version);
    this.memory.set(k, body);
    if (this.saved.has(k)) return;
    // A journey deleted and created again starts at version 1 again: the new body replaces the old.
    await this.redis.hset(journeyVersionsKey(tenant, id), String(version), JSON.stringify(body));
    this.saved.add(k);
  }

  /** Loads a version into memory (from Redis after a restart); false when it was never kept. */
  async load(tenant: string, id: string, version: number): Promise<boolean> {
    const k = this.key(tenant, id, version);
    if (this.memory.has(k)) return true;
    const text = await this.redis.hget(journeyVersionsKey(tenant, id), String(version));
    if (text === null) return false;
    this.memory.set(k, journeySchema.parse(JSON.parse(text)));
    this.saved.add(k);
    return true;
  }

  get(tenant: string, id: string, version: number): Journey | undefined {
    return this.memory.get(this.key(tenant, id, version));
  }
}
