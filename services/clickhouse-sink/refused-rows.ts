// Rows ClickHouse refused for their data -> DLQ records of the consumed records they came from
// (original key, bytes and headers, plus the reason), sent with the chunk's outputs before commit.
import { deadLetter } from '../common/kafka/dead-letter';
import type { OutgoingMessage } from '../common/kafka/producer';
import type { Logger } from '../common/logger';
import type { RefusedRow } from './clickhouse-batcher';

export const REFUSED_ROW_ERROR_CLASS = 'ClickHouseRefusedRow';

export interface RefusedRowOptions {
  dlqTopic: string;
  /** The DLQ the sink itself mirrors: a record from it is not dead-lettered again. */
  deadLetterInput: string;
  logger: Pick<Logger, 'warn' | 'error'>;
  now?: Date;
}

export function refusedRowOutputs(refused: RefusedRow[], options: RefusedRowOptions): OutgoingMessage[] {
  const outputs: OutgoingMessage[] = [];
  for (const { source, table, reason } of refused) {
    const where = { table, topic: source.topic, partition: source.partition, offset: source.offset, reason };
    if (source.topic === options.deadLetterInput) {
      // Sending it back to the topic it came from would loop for ever; it stays in that topic.
      options.logger.error(
        where,
        'ClickHouse refused a dead_letters row; the record stays in the DLQ topic only',
      );
      continue;
    }
    options.logger.warn(where, 'ClickHouse refused a row for its data; its record goes to the DLQ');
    outputs.push(
      deadLetter(
        source,
        options.dlqTopic,
        'clickhouse-sink',
        REFUSED_ROW_ERROR_CLASS,
        `${table}: ${reason}`,
        options.now,
      ),
    );
  }
  return outputs;
}
