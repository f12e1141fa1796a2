// One chunk of a partition's batch, apart from kafkajs: handle every record (per-key order, keys
// concurrently), run the after-chunk step, send the outputs below the size limit, run the after-send
// step, then commit. Nothing is committed before every output of the chunk was acknowledged; when
// the runner stops or loses the partition mid-way, the chunk is abandoned uncommitted and redelivered.
import type { Logger } from '../logger';
import { runnerMessages, runnerRetries } from '../metrics/registry';
import type { ConsumedMessage } from './consumed-message';
import { deadLetter } from './dead-letter';
import { classifyFailure, failureName } from './failure-class';
import { forEachWithConcurrency, groupByKey } from './key-groups';
import type { MessageSender, OutgoingMessage } from './producer';
import type { RetryClock } from './retry-clock';
import { createRetry, StopRequested } from './retry-until-stopped';
import { recordBytes, splitBySize, tooLargeToSend } from './send-batches';

export type MessageHandler = (message: ConsumedMessage) => Promise<OutgoingMessage[]>;

/** What the chunk logic needs of a fetched batch; the runner adapts kafkajs's EachBatchPayload. */
export interface ChunkSource {
  topic: string;
  partition: number;
  /** False once the runner stops or the partition is no longer ours: retries end there. */
  isActive(): boolean;
  /**
   * False once the partition was revoked or sought or the group membership lost: its new owner
   * will redo the chunk, so sending its outputs here would duplicate them. A stop alone keeps it true.
   */
  ownsPartition(): boolean;
  heartbeat(): Promise<void>;
  /** Commits the partition's offset past `lastOffset`. */
  commit(lastOffset: string): Promise<void>;
}

export interface ChunkHooks {
  handle: MessageHandler;
  /**
   * Runs after every record of a chunk was handled, before its outputs are sent and its offset
   * committed: a sink flushes its buffered rows here, so nothing is committed before the store
   * acknowledged it. It may return more outputs (e.g. dead letters for rows the store refused),
   * sent with the chunk's own. A throw is retried with backoff while the partition waits. It gets
   * the chunk's records, so it returns outputs about them (not about another partition's chunk).
   */
  afterChunk?: (messages: ConsumedMessage[]) => Promise<OutgoingMessage[] | void>;
  /**
   * Runs once the chunk's outputs are acknowledged, before its offset is committed: a check of what
   * was written (the snapshot guard) or the release of state kept only to re-send outputs after a
   * redelivery. A throw is retried with backoff while the partition waits, so it must be idempotent;
   * a crash before it finishes leaves the chunk uncommitted, and the redelivery runs it again.
   */
  afterSend?: (messages: ConsumedMessage[]) => Promise<void>;
  /**
   * Rewrites a chunk's outputs (in offset order) before they are sent, e.g. to drop snapshots that
   * a later one of the same chunk supersedes on a compacted topic. It must return records it was
   * given (not copies), so an oversized one can be traced to its input.
   */
  compactOutputs?: (outputs: OutgoingMessage[]) => OutgoingMessage[];
}

export interface ChunkSettings extends ChunkHooks, MessageSender {
  service: string;
  dlqTopic: string;
  keyConcurrency: number;
  /** Failures of an unknown class on one record before it goes to the DLQ. */
  maxUnknownFailures: number;
  /** Bytes per produce request; a single output above it is dead-lettered (its input's bytes). */
  maxRequestBytes: number;
  retryInitialMs: number;
  retryMaxMs: number;
  clock: RetryClock;
  logger: Logger;
  /** Waits between retries; tests pass one that returns at once. */
  sleep?: (ms: number) => Promise<void>;
}

export type ChunkResult = 'committed' | 'abandoned';

function keyBuffer(key: string | Buffer | null): Buffer | null {
  return key === null || Buffer.isBuffer(key) ? key : Buffer.from(key);
}

/** A DLQ record is the input's bytes plus headers; if even that cannot be sent, keep the reason only. */
function sendable(dead: OutgoingMessage, maxBytes: number): OutgoingMessage {
  if (!tooLargeToSend(dead, maxBytes)) return dead;
  const reasonKey = 'cdp.error.message';
  const reason = String(dead.headers?.[reasonKey] ?? '');
  return {
    ...dead,
    value: null,
    headers: {
      ...dead.headers,
      [reasonKey]: `${reason} (original value of ${dead.value?.length ?? 0} bytes not kept: too large for the DLQ)`,
    },
  };
}

export async function processChunk(
  messages: ConsumedMessage[],
  source: ChunkSource,
  settings: ChunkSettings,
): Promise<ChunkResult> {
  const { service, logger, clock, dlqTopic } = settings;
  const { topic, partition } = source;
  const retry = createRetry({
    isActive: () => source.isActive(),
    heartbeat: () => source.heartbeat(),
    initialMs: settings.retryInitialMs,
    maxMs: settings.retryMaxMs,
    sleep: settings.sleep,
    onRetry: (stage, err, attempt) => {
      clock.failed(topic, partition);
      runnerRetries.inc({ service, stage });
      logger.warn({ topic, partition, stage, attempt, err }, `${stage} failed; retrying`);
    },
  });

  // Which input each handler output came from, so an output too large to send dead-letters its input.
  const origins = new Map<OutgoingMessage, ConsumedMessage>();

  async function handleOne(message: ConsumedMessage): Promise<OutgoingMessage[]> {
    let unknownFailures = 0;
    try {
      const outputs = await retry('handle', () => settings.handle(message), {
        giveUp: (err) => {
          const cls = classifyFailure(err);
          if (cls === 'unknown') unknownFailures++;
          return cls === 'data' || unknownFailures >= settings.maxUnknownFailures;
        },
      });
      runnerMessages.inc({ service, topic: message.topic, outcome: 'ok' });
      for (const output of outputs) origins.set(output, message);
      return outputs;
    } catch (err) {
      if (err instanceof StopRequested) throw err;
      const unknown = classifyFailure(err) === 'unknown';
      // Not `instanceof Error`: errors of Node's own modules may come from another realm.
      const { message: text, stack } = (typeof err === 'object' && err !== null ? err : {}) as {
        message?: unknown;
        stack?: unknown;
      };
      const reason = typeof text === 'string' ? text : String(err);
      runnerMessages.inc({ service, topic: message.topic, outcome: 'dlq' });
      logger.warn(
        { topic, partition, offset: message.offset, error: reason, failures: unknownFailures || 1 },
        unknown ? 'record failed repeatedly; sent to the DLQ' : 'poison record sent to the DLQ',
      );
      return [
        sendable(
          deadLetter(
            message,
            dlqTopic,
            service,
            failureName(err),
            reason,
            new Date(),
            unknown && typeof stack === 'string' ? stack : undefined,
          ),
          settings.maxRequestBytes,
        ),
      ];
    }
  }

  /** Replaces each output no request can carry by a dead letter of the input that produced it. */
  function withinLimit(outputs: OutgoingMessage[]): OutgoingMessage[] {
    return outputs.map((output) => {
      if (!tooLargeToSend(output, settings.maxRequestBytes)) return output;
      const why = `output to ${output.topic} of ${recordBytes(output)} bytes exceeds the send limit of ${settings.maxRequestBytes} bytes`;
      const input = origins.get(output);
      runnerMessages.inc({ service, topic, outcome: 'dlq' });
      logger.warn(
        { topic, partition, offset: input?.offset, output: output.topic },
        `${why}; sent to the DLQ`,
      );
      const last = messages[messages.length - 1] as ConsumedMessage;
      // An after-chunk output has no input of its own: the DLQ keeps its key and the reason.
      const dead = input
        ? deadLetter(input, dlqTopic, service, 'OutputTooLarge', why)
        : deadLetter(
            { ...last, key: keyBuffer(output.key), value: null, headers: {} },
            dlqTopic,
            service,
            'OutputTooLarge',
            `after-chunk ${why}; the value is not kept`,
          );
      return sendable(dead, settings.maxRequestBytes);
    });
  }

  try {
    const perInput: OutgoingMessage[][] = new Array(messages.length);
    await forEachWithConcurrency(groupByKey(messages), settings.keyConcurrency, async (group) => {
      for (const { index, message } of group) perInput[index] = await handleOne(message);
    });
    const { afterChunk, afterSend, compactOutputs } = settings;
    const extra = afterChunk ? ((await retry('after-chunk', () => afterChunk(messages))) ?? []) : [];
    // Offset order keeps each key's outputs in the order its inputs came.
    const flat = [...perInput.flat(), ...extra];
    const outputs = withinLimit(compactOutputs ? compactOutputs(flat) : flat);
    if (!source.ownsPartition()) throw new StopRequested('partition lost before send');
    // Requests go one after the other, so a key's records keep their order across requests; each is
    // retried alone, so a failure repeats only that request.
    for (const request of splitBySize(outputs, settings.maxRequestBytes)) {
      await retry('send', () => settings.send(request));
    }
    if (afterSend) await retry('after-send', () => afterSend(messages));
    await source.commit((messages[messages.length - 1] as ConsumedMessage).offset);
    return 'committed';
  } catch (err) {
    // Uncommitted records are redelivered to whoever owns the partition next.
    if (err instanceof StopRequested) return 'abandoned';
    throw err;
  } finally {
    clock.clear(topic, partition);
  }
}
