// Reading raw events back: Confluent-framed Avro -> validated CdpEvent. Anything that can never
// become an event is a PoisonMessageError, which the consumer runner sends to the DLQ.
import { PoisonMessageError } from '../kafka/consumed-message';
import { TOPICS } from '../kafka/topics';
import type { CdpEvent } from './event-model';
import { EventRecordError, fromRawEventRecord } from './event-record';

export interface EventDecoder {
  decode(buffer: Buffer | null, readerTopic?: string): Promise<unknown>;
}

export async function decodeRawEvent(codec: EventDecoder, value: Buffer | null): Promise<CdpEvent> {
  // Decoding into the current raw-event schema lets records written with older versions resolve.
  const record = await codec.decode(value, TOPICS.eventsRaw);
  try {
    return fromRawEventRecord(record);
  } catch (err) {
    if (err instanceof EventRecordError)
      throw new PoisonMessageError(err.message, 'EventRecordError', { cause: err });
    throw err;
  }
}
