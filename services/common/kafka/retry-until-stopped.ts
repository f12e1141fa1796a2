// The runner's one retry: back off with jitter, keep the group membership alive while waiting, give
// up only when told to (the caller's `giveUp`) or when the runner stops or loses the partition.
import { backoffMs } from './key-groups';

/** Thrown when the runner stops or the batch is no longer ours: the chunk is abandoned uncommitted. */
export class StopRequested extends Error {
  override name = 'StopRequested';
}

export interface RetryContext {
  /** False once the runner stops or the partition was revoked or sought: waiting longer is pointless. */
  isActive(): boolean;
  /** Keeps the consumer's group session alive while a retry waits. */
  heartbeat(): Promise<void>;
  initialMs: number;
  maxMs: number;
  /** Called on every failure that will be retried (metrics, logs, the partition's retry clock). */
  onRetry(stage: string, err: unknown, attempt: number): void;
  /** Waits `ms`; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
}

export interface RetryOptions {
  /**
   * Decides after each failure whether to stop retrying and let the error through (kafkajs's
   * `bail`); `failures` counts this call's failures, the current one included.
   */
  giveUp?: (err: unknown, failures: number) => boolean;
}

export type RetryUntilStopped = <T>(
  stage: string,
  fn: () => Promise<T>,
  options?: RetryOptions,
) => Promise<T>;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Heartbeats at this interval at most while waiting; kafkajs itself sends one per heartbeatInterval. */
const WAIT_STEP_MS = 200;

export function createRetry(ctx: RetryContext): RetryUntilStopped {
  const sleep = ctx.sleep ?? defaultSleep;

  async function wait(attempt: number): Promise<void> {
    const until = Date.now() + backoffMs(attempt, ctx.initialMs, ctx.maxMs);
    do {
      if (!ctx.isActive()) throw new StopRequested('runner stopping or partition revoked');
      await sleep(Math.max(0, Math.min(WAIT_STEP_MS, until - Date.now())));
      await ctx.heartbeat().catch(() => undefined);
    } while (Date.now() < until);
    if (!ctx.isActive()) throw new StopRequested('runner stopping or partition revoked');
  }

  return async function retryUntilStopped<T>(
    stage: string,
    fn: () => Promise<T>,
    options: RetryOptions = {},
  ): Promise<T> {
    // The first attempt runs even while stopping, so a chunk in hand can finish; waits are cut short.
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof StopRequested) throw err;
        if (options.giveUp?.(err, attempt + 1)) throw err;
        ctx.onRetry(stage, err, attempt);
        await wait(attempt);
      }
    }
  };
}
