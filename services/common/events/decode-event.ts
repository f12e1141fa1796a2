// Reading raw events back: Confluent-framed Avro -> a record the raw-event schema validated (once),
// or the event model built from it. Anything that can never become an event is a
// PoisonMessageError, which the consumer runner sends to the DLQ.
import { RecordContractError, type RecordDecoder } from '../codec/avro-codec';
import { PoisonMessageError } from '../kafka/consumed-message';
import { rawEvents } from '../streams/raw-events';
import type { CdpEvent } from './event-model';
import { formatIssues, issuesFromZod } from './event-issues';
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
    if (!(err instanceof RecordContractError)) throw err;
    // Worded as the collector words an event's issues, naming the messageId when it has one.
    const id = (err.decoded as { messageId?: unknown } | null)?.messageId;
    throw new PoisonMessageError(
      `event ${typeof id === 'string' ? id : '(no messageId)'}: ${formatIssues(issuesFromZod(err.issues))}`,
      EVENT_RECORD_ERROR,
      { cause: err },
    );
  }
}

export async function decodeRawEvent(codec: RecordDecoder, value: Buffer | null): Promise<CdpEvent> {
  return eventOfRecord(await decodeRawEventRecord(codec, value));
}
