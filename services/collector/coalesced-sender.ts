// Group commit for Kafka sends: while one send is in flight, concurrent HTTP requests queue their
// messages, and the next send carries all of them. Each request still resolves only after the
// send holding its messages was acknowledged. (The idempotent producer allows one request in
// flight per broker, so one send per HTTP request would cap throughput at one round trip each.)
// The queue is bounded: while Kafka is slow, requests beyond the bound are refused at once (the
// collector answers 503, SDKs retry later) instead of holding memory until the process dies.
import type { MessageSender, OutgoingMessage } from '../common/kafka/producer';

interface Waiter {
  messages: OutgoingMessage[];
  bytes: number;
  resolve: () => void;
  reject: (err: unknown) => void;
}

function sizeOf(messages: OutgoingMessage[]): number {
  let bytes = 0;
  for (const m of messages)
    bytes += (m.value?.length ?? 0) + (typeof m.key === 'string' ? m.key.length : (m.key?.length ?? 0));
  return bytes;
}

/** The queue holds too much already; nothing of this call was sent. Retryable. */
export class QueueFullError extends Error {
  override name = 'QueueFullError';
  constructor(
    readonly queuedBytes: number,
    readonly maxQueuedBytes: number,
  ) {
    super(`${queuedBytes} bytes already wait for Kafka (bound ${maxQueuedBytes})`);
  }
}

export interface CoalescedSenderOptions {
  /**
   * Upper bound of one combined send (a single caller's messages always go, however large); kept
   * under Kafka's 1 MB per-partition batch default even if every key hashed alike.
   */
  maxSendBytes?: number;
  /**
   * Bytes that may wait behind the send in flight; a call that would pass it is refused with
   * QueueFullError. A call to an empty queue is always taken, so no request is too large to pass.
   */
  maxQueuedBytes?: number;
}

export function coalescedSender(inner: MessageSender, options: CoalescedSenderOptions = {}): MessageSender {
  const maxBytes = options.maxSendBytes ?? 900 * 1024;
  const maxQueuedBytes = options.maxQueuedBytes ?? Number.POSITIVE_INFINITY;
  let queue: Waiter[] = [];
  let queuedBytes = 0;
  let inFlight = false;

  function pump(): void {
    if (inFlight || queue.length === 0) return;
    const group: Waiter[] = [];
    let bytes = 0;
    while (queue.length > 0) {
      const next = queue[0] as Waiter;
      if (group.length > 0 && bytes + next.bytes > maxBytes) break;
      group.push(next);
      bytes += next.bytes;
      queue.shift();
    }
    queuedBytes -= bytes;
    inFlight = true;
    inner.send(group.flatMap((w) => w.messages)).then(
      () => {
        for (const w of group) w.resolve();
        inFlight = false;
        pump();
      },
      (err: unknown) => {
        // Kafka just failed a send: the queued requests would wait a full timeout each only to
        // fail too, so they fail now and their clients retry.
        const failed = [...group, ...queue];
        queue = [];
        queuedBytes = 0;
        inFlight = false;
        for (const w of failed) w.reject(err);
      },
    );
  }

  return {
    send(messages) {
      if (messages.length === 0) return Promise.resolve();
      const bytes = sizeOf(messages);
      if (queue.length > 0 && queuedBytes + bytes > maxQueuedBytes)
        return Promise.reject(new QueueFullError(queuedBytes, maxQueuedBytes));
      return new Promise<void>((resolve, reject) => {
        queue.push({ messages, bytes, resolve, reject });
        queuedBytes += bytes;
        pump();
      });
    },
  };
}
