// Refused rows become DLQ records of their source record, except rows from the DLQ topic the sink
// mirrors, which would loop.
import { refusedRowOutputs, REFUSED_ROW_ERROR_CLASS } from '../../../services/clickhouse-sink/refused-rows';
import type { ConsumedMessage } from '../../../services/common/kafka/consumed-message';
import { DLQ_HEADERS } from '../../../services/common/kafka/dead-letter';

const message = (topic: string): ConsumedMessage => ({
  topic,
  partition: 2,
  offset: '17',
  key: Buffer.from('k'),
  value: Buffer.from([1, 2, 3]),
  headers: { trace: Buffer.from('abc') },
  timestamp: 5,
});

it('dead-letters the original record with the table and reason, and skips the mirrored DLQ', () => {
  const logged: string[] = [];
  const logger = {
    warn: (_o: object, m: string) => logged.push(m),
    error: (_o: object, m: string) => logged.push(m),
  };
  const outputs = refusedRowOutputs(
    [
      { source: message('events-in'), table: 'events', reason: 'Code: 25, bad escape' },
      { source: message('dlq-in'), table: 'dead_letters', reason: 'Code: 72, x' },
    ],
    { dlqTopic: 'dlq-out', deadLetterInput: 'dlq-in', logger: logger as never },
  );
  expect(outputs).toHaveLength(1);
  const out = outputs[0];
  expect(out?.topic).toBe('dlq-out');
  expect(out?.key).toEqual(Buffer.from('k'));
  expect(out?.value).toEqual(Buffer.from([1, 2, 3]));
  expect(out?.headers?.trace).toEqual(Buffer.from('abc'));
  expect(out?.headers?.[DLQ_HEADERS.errorClass]).toBe(REFUSED_ROW_ERROR_CLASS);
  expect(out?.headers?.[DLQ_HEADERS.errorMessage]).toBe('events: Code: 25, bad escape');
  expect(out?.headers?.[DLQ_HEADERS.sourceTopic]).toBe('events-in');
  expect(out?.headers?.[DLQ_HEADERS.sourceOffset]).toBe('17');
  expect(logged).toHaveLength(2);
});
