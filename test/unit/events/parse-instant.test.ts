import { parseInstant } from '../../../services/common/events/parse-instant';

describe('parseInstant', () => {
  it.each([
    ['2024-05-01T12:00:00.000Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T12:00:00Z', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T14:00:00.250+02:00', '2024-05-01T12:00:00.250Z'],
    ['2024-05-01T14:00:00+0200', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01T07:00:00-05', '2024-05-01T12:00:00.000Z'],
    // Python's isoformat(): microseconds, truncated to milliseconds.
    ['2024-05-01T12:00:00.123456+00:00', '2024-05-01T12:00:00.123Z'],
    // Zone-less times are read as UTC, never in the server's zone.
    ['2024-05-01T12:00:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01 12:00', '2024-05-01T12:00:00.000Z'],
    ['2024-05-01', '2024-05-01T00:00:00.000Z'],
  ])('reads %s', (input, expected) => {
    const ms = parseInstant(input);
    expect(ms).toBeDefined();
    expect(new Date(ms as number).toISOString()).toBe(expected);
  });

  it.each([
    '',
    'yesterday',
    'May 1, 2024',
    '1714564800000',
    '2024-02-30T00:00:00Z',
    '2024-13-01',
    '2024-05-01T25:00:00Z',
    '2024-05-01T12:00:00+2',
  ])('rejects %j', (input) => {
    expect(parseInstant(input)).toBeUndefined();
  });
});
