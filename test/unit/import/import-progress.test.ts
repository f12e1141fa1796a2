import {
  etaSeconds,
  formatBytes,
  formatSummary,
  progressLine,
} from '../../../services/import/import-progress';
import { newCounters } from '../../../services/import/import-pipeline';

const start = Date.parse('2024-01-01T00:00:00Z');

function counters() {
  return {
    ...newCounters(start),
    rowsRead: 5000,
    sent: 4000,
    rejected: 2,
    bytesRead: 25 * 1024 * 1024,
    totalBytes: 100 * 1024 * 1024,
  };
}

describe('import progress', () => {
  it('estimates the time left from the bytes still to read', () => {
    expect(etaSeconds(counters(), start + 10_000)).toBe(30);
    expect(etaSeconds({ ...counters(), bytesRead: 0 }, start + 10_000)).toBeUndefined();
  });

  it('prints a plain progress line', () => {
    expect(progressLine(counters(), start + 10_000)).toBe(
      'import: 5000 rows (500 rows/s), 4000 sent, 2 rejected, 25.0 MiB of 100.0 MiB, ETA 30 s',
    );
    expect(formatBytes(512)).toBe('512 B');
  });

  it('summarizes without claiming a count of duplicates, and shows skipped rows only with a skipEvents hook', () => {
    const text = formatSummary(counters(), start + 2000, {
      tenant: 'demo',
      topic: 't',
      dryRun: false,
      errorsFile: 'e.ndjson',
      skipping: false,
    });
    expect(text).toContain('rejected      2 (see e.ndjson)');
    expect(text).toContain('duplicates    not known here');
    expect(text).not.toContain('skipped');
    expect(text).toContain('time          2.0 s (2500 rows/s)');
    const dry = formatSummary(counters(), start + 2000, {
      tenant: 'demo',
      topic: 't',
      dryRun: true,
      skipping: true,
    });
    expect(dry).toContain('would send    4000');
    expect(dry).toContain('give --errors FILE to keep them');
    expect(dry).toContain('skipped       0');
  });
});
