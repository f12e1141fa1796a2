import { correctedTimestamp } from '../../../services/common/events/skew-correction';

const t = (iso: string) => Date.parse(iso);

describe('correctedTimestamp', () => {
  const receivedAt = t('2024-05-01T12:00:10.000Z');

  it('moves a fast client clock back by its skew', () => {
    // Client clock 1 hour ahead: event at 13:00:00, sent at 13:00:05, received at 12:00:10.
    const ts = correctedTimestamp(receivedAt, {
      originalTimestamp: t('2024-05-01T13:00:00.000Z'),
      sentAt: t('2024-05-01T13:00:05.000Z'),
    });
    expect(new Date(ts).toISOString()).toBe('2024-05-01T12:00:05.000Z');
  });

  it('moves a slow client clock forward by its skew', () => {
    const ts = correctedTimestamp(receivedAt, {
      originalTimestamp: t('2024-05-01T11:00:00.000Z'),
      sentAt: t('2024-05-01T11:00:09.500Z'),
    });
    expect(new Date(ts).toISOString()).toBe('2024-05-01T12:00:00.500Z');
  });

  it('keeps the client time of a batch event queued long before sending', () => {
    // Offline device: event at 08:00, batch sent at 12:00 on a correct clock.
    const ts = correctedTimestamp(receivedAt, {
      originalTimestamp: t('2024-05-01T08:00:00.000Z'),
      sentAt: t('2024-05-01T12:00:09.000Z'),
    });
    expect(new Date(ts).toISOString()).toBe('2024-05-01T08:00:01.000Z');
  });

  it('uses the client time unchanged when sentAt is missing', () => {
    expect(correctedTimestamp(receivedAt, { originalTimestamp: t('2024-01-01T00:00:00Z') })).toBe(
      t('2024-01-01T00:00:00Z'),
    );
  });

  it('uses receivedAt when the client gave no time', () => {
    expect(correctedTimestamp(receivedAt, {})).toBe(receivedAt);
    expect(correctedTimestamp(receivedAt, { sentAt: t('2030-01-01T00:00:00Z') })).toBe(receivedAt);
  });
});
