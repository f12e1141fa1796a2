import vm from 'node:vm';
import { PoisonMessageError } from '../../../services/common/kafka/consumed-message';
import { classifyFailure } from '../../../services/common/kafka/failure-class';
import { recordBytes, splitBySize, tooLargeToSend } from '../../../services/common/kafka/send-batches';

const named = (name: string, message: string, extra: Record<string, unknown> = {}) =>
  Object.assign(Object.assign(new Error(message), { name }), extra);

describe('classifyFailure', () => {
  it.each([
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['ioredis closed connection', new Error('Connection is closed.')],
    ['Redis busy with a script', named('ReplyError', 'BUSY Redis is busy running a script')],
    ['a kafkajs retriable error', named('KafkaJSProtocolError', 'leader moved', { retriable: true })],
    ['a kafkajs connection error', named('KafkaJSConnectionError', 'Connection error')],
    ['a registry 503', named('ResponseError', 'Error, status 503', { status: 503 })],
    ['a ClickHouse timeout', new Error('Timeout error.')],
    ['the codec naming the registry', new Error('schema registry unavailable while decoding (schema id 3)')],
    [
      'a wrapped network error',
      new Error('resolve failed for m1', { cause: Object.assign(new Error('x'), { code: 'ECONNRESET' }) }),
    ],
  ])('%s is a dependency failure', (_, err) => {
    expect(classifyFailure(err)).toBe('dependency');
  });

  it('classes an error from another realm (Node sockets under a test runner) by its fields', () => {
    const foreign: unknown = vm.runInNewContext(
      "Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })",
    );
    expect(foreign instanceof Error).toBe(false);
    expect(classifyFailure(foreign)).toBe('dependency');
    expect(classifyFailure(vm.runInNewContext("new RangeError('Invalid time value')"))).toBe('data');
  });

  it.each([
    ['a poison record', new PoisonMessageError('bad bytes')],
    ['an invalid date', new RangeError('Invalid time value')],
    ['a nesting too deep', new RangeError('Maximum call stack size exceeded')],
    ['bad JSON', new SyntaxError('Unexpected token')],
  ])('%s is the data itself', (_, err) => {
    expect(classifyFailure(err)).toBe('data');
  });

  it.each([
    [
      'a TypeError (a bug more often than data)',
      new TypeError("Cannot read properties of undefined (reading 'x')"),
    ],
    ['a plain error', new Error('ERR Error running script: bad argument')],
    ['a registry 404', named('ResponseError', 'Error, status 404', { status: 404 })],
    ['a thrown string', 'oops'],
  ])('%s is unknown', (_, err) => {
    expect(classifyFailure(err)).toBe('unknown');
  });
});

describe('splitBySize', () => {
  const rec = (key: string, bytes: number) => ({ topic: 't', key, value: Buffer.alloc(bytes) });

  it('keeps every record, in order, in requests below the limit', () => {
    const records = Array.from({ length: 50 }, (_, i) => rec(`k${i % 3}`, 100 + i * 37));
    const requests = splitBySize(records, 2_000);
    expect(requests.flat()).toEqual(records);
    for (const r of requests) {
      expect(61 + r.reduce((n, m) => n + recordBytes(m), 0)).toBeLessThanOrEqual(2_000);
    }
  });

  it('puts a record larger than the limit alone and flags it', () => {
    const requests = splitBySize([rec('a', 10), rec('b', 5_000), rec('c', 10)], 2_000);
    expect(requests.map((r) => r.map((m) => m.key))).toEqual([['a'], ['b'], ['c']]);
    expect(tooLargeToSend(rec('b', 5_000), 2_000)).toBe(true);
    expect(tooLargeToSend(rec('a', 10), 2_000)).toBe(false);
  });
});
