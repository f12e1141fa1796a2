// What `cdp import` shows while it runs and when it ends: a cli-progress bar on a TTY (rows, rows/s,
// bytes, ETA from bytes read out of the files' total size), a plain line every ~2 s on stderr
// otherwise, and the summary. Formatting is pure; the timers live in `startProgress`.
import { SingleBar } from 'cli-progress';
import type { ImportCounters } from './import-pipeline';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = n / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

function rate(rows: number, seconds: number): number {
  return seconds > 0 ? Math.round(rows / seconds) : 0;
}

/** ETA from the bytes still to read; undefined until a rate is known. */
export function etaSeconds(c: ImportCounters, now: number): number | undefined {
  const elapsed = (now - c.startedAt) / 1000;
  if (c.bytesRead === 0 || elapsed <= 0) return undefined;
  return Math.max(0, ((c.totalBytes - c.bytesRead) * elapsed) / c.bytesRead);
}

export function progressLine(c: ImportCounters, now: number): string {
  const elapsed = (now - c.startedAt) / 1000;
  const eta = etaSeconds(c, now);
  return (
    `import: ${c.rowsRead} rows (${rate(c.rowsRead, elapsed)} rows/s), ${c.sent} sent, ${c.rejected} rejected, ` +
    `${formatBytes(c.bytesRead)} of ${formatBytes(c.totalBytes)}${eta === undefined ? '' : `, ETA ${Math.round(eta)} s`}`
  );
}

export interface SummaryContext {
  tenant: string;
  topic: string;
  dryRun: boolean;
  errorsFile?: string;
  /** Whether a skipEvents hook ran (then its count is shown). */
  skipping: boolean;
}

export function formatSummary(c: ImportCounters, now: number, ctx: SummaryContext): string {
  const seconds = (now - c.startedAt) / 1000;
  const lines = [
    ctx.dryRun
      ? `dry run for tenant ${ctx.tenant}: nothing was sent`
      : `imported into tenant ${ctx.tenant} (topic ${ctx.topic})`,
    `  rows read     ${c.rowsRead}`,
    ctx.dryRun ? `  would send    ${c.sent}` : `  sent          ${c.sent} (acknowledged by Kafka)`,
    `  rejected      ${c.rejected}${c.rejected === 0 ? '' : ctx.errorsFile ? ` (see ${ctx.errorsFile})` : ' (give --errors FILE to keep them)'}`,
    ...(ctx.skipping ? [`  skipped       ${c.skipped}`] : []),
    // cdp import cannot see what was imported before; the resolver drops repeated messageIds.
    '  duplicates    not known here: rows imported before carry the same messageIds and are dropped downstream',
    `  time          ${seconds.toFixed(1)} s (${rate(c.rowsRead, seconds)} rows/s)`,
  ];
  return lines.join('\n');
}

export interface Progress {
  stop(): void;
}

export function startProgress(
  counters: ImportCounters,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY) {
    const bar = new SingleBar({
      format: 'import [{bar}] {percentage}% | {rows} rows | {rate} rows/s | {bytes} | ETA {eta_formatted}',
      stream,
      hideCursor: true,
      etaBuffer: 50,
    });
    const payload = () => ({
      rows: counters.rowsRead,
      rate: rate(counters.rowsRead, (Date.now() - counters.startedAt) / 1000),
      bytes: `${formatBytes(counters.bytesRead)} / ${formatBytes(counters.totalBytes)}`,
    });
    bar.start(Math.max(1, counters.totalBytes), 0, payload());
    const timer = setInterval(() => {
      bar.setTotal(Math.max(1, counters.totalBytes));
      bar.update(counters.bytesRead, payload());
    }, 200);
    return {
      stop() {
        clearInterval(timer);
        bar.update(counters.bytesRead, payload());
        bar.stop();
      },
    };
  }
  const timer = setInterval(() => stream.write(`${progressLine(counters, Date.now())}\n`), 2000);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
