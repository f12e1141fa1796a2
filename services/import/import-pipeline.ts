// The import of one or more files: each row is read, mapped to a Segment message (CSV), checked
// by the collector's own `checkMessage` with a messageId derived from tenant, file hash and row,
// then handed to a sender in batches. A bad row is reported and counted; it never stops the import.
import { checkMessage } from '../common/events/normalize-message';
import { formatIssues } from '../common/events/event-issues';
import type { CdpEvent } from '../common/events/event-model';
import { compileMapping, targetField, type CompiledMapping, type ImportType } from './column-mapping';
import { fileSha256, fileSize, formatOfFileName, openImportFile, type ImportFormat } from './import-file';
import { importMessageId } from './import-message-id';
import { readCsvRows } from './read-csv-rows';
import { readJsonArrayRows } from './read-json-array-rows';
import { readNdjsonRows } from './read-ndjson-rows';
import { columnOfField, rowToMessage } from './row-to-message';
import { ImportFileError, rawOfLatin1, type SourceRow } from './source-row';

/** One line of the errors file (NDJSON). */
export interface RejectedRow {
  file: string;
  row: number;
  line: number;
  column: string | null;
  /** Machine-readable: the collector's issue reason, or the reader's (invalid_utf8, wrong_column_count ...). */
  code: string;
  reason: string;
  raw: string;
  raw_base64?: string;
}

export interface ImportCounters {
  rowsRead: number;
  /** Acknowledged by Kafka (in a dry run: would have been sent). */
  sent: number;
  rejected: number;
  /** Rows `skipEvents` held back. */
  skipped: number;
  bytesRead: number;
  totalBytes: number;
  startedAt: number;
}

export interface ImportSink {
  add(events: CdpEvent[]): Promise<void>;
  flush(): Promise<void>;
}

export interface ImportOptions {
  tenant: string;
  /** CSV rows become this type (default identify); NDJSON / JSON messages get it as the collector's route type. */
  type?: ImportType;
  /** Default: from each file's name. */
  format?: ImportFormat;
  maps?: readonly string[];
  maxEventBytes: number;
  /** Where events go; absent in a dry run (then `sent` counts the events that would go). */
  sink?: ImportSink;
  onRejected(row: RejectedRow): void | Promise<void>;
  /**
   * Hook for rows that must not be imported (e.g. suppressed subjects), called once per batch with
   * all its events: true at index i skips `events[i]` and counts it in `skipped`. `cdp import` sets
   * it to the tenant's suppression list (one Redis round trip per batch when the list is empty).
   */
  skipEvents?: (events: readonly CdpEvent[]) => readonly boolean[] | Promise<readonly boolean[]>;
  batchSize?: number;
  now?: () => number;
  counters?: ImportCounters;
}

export function newCounters(now = Date.now()): ImportCounters {
  return { rowsRead: 0, sent: 0, rejected: 0, skipped: 0, bytesRead: 0, totalBytes: 0, startedAt: now };
}

/** Refuses what cannot run before anything is sent: a missing file, a name of no known format. */
export async function planFiles(
  files: readonly string[],
  format?: ImportFormat,
): Promise<{ file: string; format: ImportFormat; size: number }[]> {
  if (files.length === 0) throw new ImportFileError('no file given');
  return Promise.all(
    files.map(async (file) => {
      const chosen = format ?? formatOfFileName(file);
      if (chosen === undefined)
        throw new ImportFileError(
          `${file}: cannot tell the format from the name (.csv, .ndjson, .jsonl, .json, optionally .gz): give --format`,
        );
      let size: number;
      try {
        size = await fileSize(file);
      } catch (err) {
        throw new ImportFileError(
          `cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
      }
      return { file, format: chosen, size };
    }),
  );
}

function rowsOf(file: string, format: ImportFormat, counters: ImportCounters): AsyncGenerator<SourceRow> {
  const bytes = openImportFile(file, (n) => {
    counters.bytesRead += n;
  });
  if (format === 'csv') return readCsvRows(bytes);
  if (format === 'ndjson') return readNdjsonRows(bytes);
  return readJsonArrayRows(bytes, file);
}

export async function runImport(files: readonly string[], options: ImportOptions): Promise<ImportCounters> {
  const now = options.now ?? Date.now;
  const counters = options.counters ?? newCounters(now());
  const plan = await planFiles(files, options.format);
  const notCsv = plan.find((p) => p.format !== 'csv');
  if ((options.maps ?? []).length > 0 && notCsv)
    throw new ImportFileError(`--map applies to CSV files only (${notCsv.file} is ${notCsv.format})`);
  counters.totalBytes = plan.reduce((sum, p) => sum + p.size, 0);
  const batchSize = options.batchSize ?? 1000;
  const type = options.type ?? 'identify';
  let batch: CdpEvent[] = [];

  /** The batch handed on last (its skip check, then the sink); batches are handed on in order. */
  let handing: Promise<void> = Promise.resolve();

  async function handOn(events: CdpEvent[], flags: Promise<readonly boolean[]> | undefined): Promise<void> {
    let kept = events;
    if (flags !== undefined) {
      const skip = await flags;
      kept = events.filter((_e, i) => skip[i] !== true);
    }
    counters.skipped += events.length - kept.length;
    if (kept.length === 0) return;
    if (options.sink) await options.sink.add(kept);
    else counters.sent += kept.length;
  }

  async function flushBatch(): Promise<void> {
    const events = batch;
    batch = [];
    if (events.length === 0) return;
    // One check per batch: a Redis-backed hook answers for all its events in one or two round
    // trips. It starts now and the next batch is read while it waits; the previous batch is
    // handed on first, and at most this one and the previous are pending.
    const flags = options.skipEvents === undefined ? undefined : Promise.resolve(options.skipEvents(events));
    flags?.catch(() => undefined);
    const previous = handing;
    handing = previous.then(() => handOn(events, flags));
    // Rejections surface at the next flush or at the end, where `handing` is awaited.
    handing.catch(() => undefined);
    await previous;
  }

  for (const { file, format } of plan) {
    const fileHash = await fileSha256(file);
    let mapping: CompiledMapping | undefined;
    let fields: { column: string; field: string }[] = [];
    const reject = async (
      row: number,
      line: number,
      column: string | null,
      code: string,
      reason: string,
      raw: string,
      rawBase64?: string,
    ) => {
      counters.rejected += 1;
      await options.onRejected({
        file,
        row,
        line,
        column,
        code,
        reason,
        raw,
        ...(rawBase64 === undefined ? {} : { raw_base64: rawBase64 }),
      });
    };
    for await (const r of rowsOf(file, format, counters)) {
      if (r.kind === 'header') {
        mapping = compileMapping(r.cells, type, options.maps ?? []);
        fields = mapping.columns.map((c) => ({ column: c.column, field: targetField(c.target) }));
        continue;
      }
      counters.rowsRead += 1;
      if (r.kind === 'error') {
        await reject(r.row, r.line, r.column, r.code, r.reason, r.raw, r.rawBase64);
        continue;
      }
      let message: unknown;
      const raw = () => (r.kind === 'cells' ? rawOfLatin1(r.rawLatin1) : r.raw);
      if (r.kind === 'cells') {
        const mapped = rowToMessage(r.cells, mapping as CompiledMapping, options.tenant);
        if (!mapped.ok) {
          await reject(
            r.row,
            r.line,
            mapped.problem.column,
            mapped.problem.code,
            mapped.problem.reason,
            raw(),
          );
          continue;
        }
        message = mapped.message;
      } else message = r.value;
      const messageId = importMessageId(options.tenant, fileHash, r.row);
      const outcome = checkMessage(
        message,
        {
          tenant: options.tenant,
          receivedAt: now(),
          // Typed NDJSON / JSON messages are like posts to /v1/<type>; CSV rows carry their type.
          routeType: format === 'csv' ? undefined : options.type,
          newMessageId: () => messageId,
        },
        options.maxEventBytes,
      );
      if (!outcome.ok) {
        const first = outcome.issues[0];
        const column = format === 'csv' && first ? columnOfField(first.field, fields) : null;
        // A CSV row can also name its person by e-mail, phone or external id (row-to-message.ts).
        const hint =
          format === 'csv' && first?.reason === 'missing_identity'
            ? ' (a row needs a user id, an anonymous id, an e-mail, a phone or an external_id.<type>)'
            : '';
        await reject(
          r.row,
          r.line,
          column,
          first?.reason ?? 'invalid_field',
          `${formatIssues(outcome.issues)}${hint}`,
          raw(),
        );
        continue;
      }
      batch.push(outcome.event);
      if (batch.length >= batchSize) await flushBatch();
    }
  }
  await flushBatch();
  await handing;
  if (options.sink) await options.sink.flush();
  return counters;
}
