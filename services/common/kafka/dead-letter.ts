// Builds the DLQ record: the original key, bytes and headers, plus headers that say why and where from.
import type { ConsumedMessage } from './consumed-message';
import type { OutgoingMessage } from './producer';

export const DLQ_HEADERS = {
  errorClass: 'cdp.error.class',
  errorMessage: 'cdp.error.message',
  /** Only for records dead-lettered after repeated failures of an unknown class: where it failed. */
  errorStack: 'cdp.error.stack',
  sourceTopic: 'cdp.source.topic',
  sourcePartition: 'cdp.source.partition',
  sourceOffset: 'cdp.source.offset',
  sourceTimestamp: 'cdp.source.timestamp',
  service: 'cdp.service',
  failedAt: 'cdp.failed.at',
} as const;

/** Kafka headers are small by convention; an error message is a reason, not a dump. */
const MAX_ERROR_MESSAGE = 2000;
const MAX_ERROR_STACK = 4000;

export function deadLetter(
  message: ConsumedMessage,
  dlqTopic: string,
  service: string,
  errorClass: string,
  errorMessage: string,
  now: Date = new Date(),
  stack?: string,
): OutgoingMessage {
  return {
    topic: dlqTopic,
    key: message.key,
    value: message.value,
    headers: {
      ...message.headers,
      [DLQ_HEADERS.errorClass]: errorClass,
      [DLQ_HEADERS.errorMessage]: errorMessage.slice(0, MAX_ERROR_MESSAGE),
      [DLQ_HEADERS.sourceTopic]: message.topic,
      [DLQ_HEADERS.sourcePartition]: String(message.partition),
      [DLQ_HEADERS.sourceOffset]: message.offset,
      [DLQ_HEADERS.sourceTimestamp]: String(message.timestamp),
      [DLQ_HEADERS.service]: service,
      [DLQ_HEADERS.failedAt]: now.toISOString(),
      ...(stack === undefined ? {} : { [DLQ_HEADERS.errorStack]: stack.slice(0, MAX_ERROR_STACK) }),
    },
  };
}
