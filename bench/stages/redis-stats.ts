// What the resolver costs Redis: memory in use and commands executed (commands run inside Lua
// scripts are counted by Redis too, so this includes the graph script's own calls).
import type { Redis } from '../../services/common/redis/redis-client';

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /used_memory:(\d+)/.exec(info);
  if (!match) throw new Error('Redis INFO memory has no used_memory line');
  return Number(match[1]);
}

/**
 * Waits until objects deleted with UNLINK are really freed (Redis frees large ones in a background
 * thread), so `used_memory` read next no longer counts them.
 */
export async function waitForLazyFree(redis: Redis, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const info = await redis.info('memory');
    const pending = /lazyfree_pending_objects:(\d+)/.exec(info);
    // Servers that do not report it free synchronously.
    if (pending === null || pending[1] === '0') return;
    if (Date.now() > until)
      throw new Error(`Redis still had ${pending[1]} objects to free after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Calls per command since the server started (`INFO commandstats`). */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const info = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(match[1] as string, Number(match[2]));
  }
  return calls;
}

export interface CommandCost {
  /** Every command Redis executed, including those inside scripts. */
  commands: number;
  /** Script calls: each is one client round trip (the resolver sends nothing else). */
  roundTrips: number;
  byCommand: Record<string, number>;
}

const SCRIPT_CALLS = new Set(['evalsha', 'eval']);

/** Commands between two snapshots; the bench's own INFO/SCAN calls are left out. */
export function commandCost(before: Map<string, number>, after: Map<string, number>): CommandCost {
  const ignored = new Set(['info', 'scan', 'hscan', 'hlen', 'unlink', 'client|setname', 'ping', 'quit']);
  const byCommand: Record<string, number> = {};
  let commands = 0;
  let scripts = 0;
  for (const [name, calls] of after) {
    const delta = calls - (before.get(name) ?? 0);
    if (delta <= 0 || ignored.has(name)) continue;
    byCommand[name] = delta;
    if (SCRIPT_CALLS.has(name)) scripts += delta;
    else commands += delta;
  }
  // Script calls are round trips; the commands they run are counted under their own names.
  return { commands, roundTrips: scripts, byCommand };
}
