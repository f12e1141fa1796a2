// Reading raw events back: Confluent-framed Avro -> a record the raw-event schema validated (once),
// or the event model built from it. Anything that can never become an event is a
// PoisonMessageError, which the consumer runner sends to the DLQ.
import { RECORD_CONTRACT_ERROR, type RecordDecoder } from '../codec/avro-codec';
import { PoisonMessageError } from '../kafka/consumed-message';
import { rawEvents } from '../streams/raw-events';
import type { CdpEvent } from './event-model';
import { eventOfRecord, type RawEventRecord } from './event-record';

/** The DLQ's error class for a record that decoded but is not a valid event (docs/identity.md). */
export const EVENT_RECORD_ERROR = 'EventRecordError';

export async function decodeRawEventRecord(
  codec: RecordDecoder,
  value: Buffer | null,
): Promise<RawEventRecord> {
  try {
    // Decoding into the current raw-event schema lets records written with older versions resolve.
    return await codec.decodeRecord(rawEvents, value);
  } catch (err) {
    if (err instanceof PoisonMessageError && err.errorClass === RECORD_CONTRACT_ERROR)
      throw new PoisonMessageError(err.message, EVENT_RECORD_ERROR, { cause: err });
    throw err;
  }
}

export async function decodeRawEvent(codec: RecordDecoder, value: Buffer | null): Promise<CdpEvent> {
  return eventOfRecord(await decodeRawEventRecord(codec, value));
}
