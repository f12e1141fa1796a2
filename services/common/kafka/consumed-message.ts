// What a handler sees of a consumed record, and the error it throws for input that can never succeed.
export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  /** Epoch milliseconds from the record. */
  timestamp: number;
}

/**
 * Thrown by a handler for input that will fail the same way on every attempt (undecodable bytes,
 * schema violations). The runner sends the original record to the DLQ instead of retrying.
 */
export class PoisonMessageError extends Error {
  override name = 'PoisonMessageError';
  constructor(
    message: string,
    readonly errorClass: string = 'PoisonMessage',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
