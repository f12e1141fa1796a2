// Sends one request of calls to a destination and classes the answer: delivered, retry later
// (5xx, 408, 429 with its Retry-After, timeouts, connection errors), or refused for good (other
// 4xx, 3xx). One request per attempt: a webhook or Segment-API batch, or one Kafka produce.
import { createHash } from 'node:crypto';
import type { AvroCodec } from '../common/codec/avro-codec';
import type { Destination, KafkaDestination } from '../common/definitions/kinds/destination';
import type { MessageSender } from '../common/kafka/producer';
import { destinationPayloads } from '../common/streams/activation';
import { parseRetryAfter } from './backoff';
import type { QueuedDelivery, SegmentCall } from './delivery';
import { webhookHeaders } from './webhook-signature';

export type Answer =
  | { kind: 'delivered'; status: number; answer: string }
  | { kind: 'retry'; status: number; answer: string; retryAfterMs?: number }
  | { kind: 'refused'; status: number; answer: string };

const ANSWER_CHARS = 500;

/** The webhook-id of a request: the call's own id, or for a batch one derived from its ids. */
export function requestId(deliveries: readonly QueuedDelivery[]): string {
  if (deliveries.length === 1) return deliveries[0]!.id;
  const digest = createHash('sha256')
    .update(deliveries.map((d) => d.id).join(','))
    .digest('hex');
  return `batch_${digest.slice(0, 32)}`;
}

/** The body a webhook receives: the call itself, or `{"batch": [calls...]}` when batch_size > 1. */
export function webhookBody(calls: readonly SegmentCall[], batchSize: number): string {
  return batchSize === 1 && calls.length === 1 ? JSON.stringify(calls[0]) : JSON.stringify({ batch: calls });
}

function classify(status: number, text: string, retryAfter: string | null): Answer {
  const answer = `HTTP ${status}${text === '' ? '' : `: ${text.slice(0, ANSWER_CHARS)}`}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', status, answer };
  if (status === 429 || status === 408 || status >= 500)
    return {
      kind: 'retry',
      status,
      answer,
      retryAfterMs: status === 429 ? parseRetryAfter(retryAfter) : undefined,
    };
  return { kind: 'refused', status, answer };
}

async function post(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeoutMs: number,
): Promise<Answer> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'cdp-activation', ...headers },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text().catch(() => '');
    return classify(response.status, text, response.headers.get('retry-after'));
  } catch (err) {
    const error = err as Error & { cause?: { code?: string; message?: string } };
    if (error.name === 'TimeoutError' || error.name === 'AbortError')
      return { kind: 'retry', status: 0, answer: `timeout after ${timeoutMs} ms` };
    const why = error.cause?.code ?? error.cause?.message ?? error.message;
    return { kind: 'retry', status: 0, answer: `connection error: ${why}` };
  }
}

export interface TransportDeps {
  codec: Pick<AvroCodec, 'encodeRecord'>;
  producer: MessageSender;
}

export async function send(
  destination: Destination,
  deliveries: readonly QueuedDelivery[],
  deps: TransportDeps,
): Promise<Answer> {
  const calls = deliveries.map((d) => d.call);
  switch (destination.type) {
    case 'webhook': {
      const body = webhookBody(calls, destination.batch_size);
      const headers = {
        ...destination.headers,
        ...webhookHeaders(destination.secret, requestId(deliveries), body),
      };
      return post(destination.url, headers, body, destination.timeout_ms);
    }
    case 'segment': {
      const body = JSON.stringify({ batch: calls, sentAt: new Date().toISOString() });
      const auth = `Basic ${Buffer.from(`${destination.write_key}:`).toString('base64')}`;
      return post(
        `${destination.url.replace(/\/+$/, '')}/v1/batch`,
        { authorization: auth },
        body,
        destination.timeout_ms,
      );
    }
    case 'kafka':
      return produce(destination, deliveries, deps);
  }
}

async function produce(
  destination: KafkaDestination,
  deliveries: readonly QueuedDelivery[],
  deps: TransportDeps,
): Promise<Answer> {
  try {
    const messages = [];
    for (const d of deliveries) {
      const record = {
        messageId: d.id,
        tenant: d.tenant,
        destinationId: d.destinationId,
        profileId: d.profileId,
        userId: typeof d.call.userId === 'string' ? d.call.userId : null,
        type: d.call.type,
        event: typeof d.call.event === 'string' ? d.call.event : null,
        payload: JSON.stringify(d.call),
        sentAt: Date.now(),
      };
      messages.push({
        topic: destination.topic,
        key: destinationPayloads.key(record),
        value: await deps.codec.encodeRecord(destinationPayloads, record, destination.topic),
      });
    }
    await deps.producer.send(messages);
    return { kind: 'delivered', status: 0, answer: `produced to ${destination.topic}` };
  } catch (err) {
    return { kind: 'retry', status: 0, answer: `kafka: ${(err as Error).message.slice(0, ANSWER_CHARS)}` };
  }
}
