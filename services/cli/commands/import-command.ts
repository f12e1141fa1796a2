// `cdp import FILE... --tenant T`: batch ingestion of CSV, NDJSON and JSON-array files into the raw
// events topic, through the collector's checks (docs/import.md). Exit 0: every row sent; 2: some
// rows rejected (the rest sent); 1: the import could not run (bad arguments, unreadable file,
// Kafka unreachable).
import type { Command } from 'commander';
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { createKafka } from '../../common/kafka/kafka-client';
import { createProducer, type MessageProducer } from '../../common/kafka/producer';
import { TOPICS } from '../../common/kafka/topics';
import { requireTopics } from '../../common/runtime/startup-checks';
import { TENANT_ID_PATTERN, TENANT_ID_RULE, loadTenants } from '../../common/tenants';
import { IMPORT_TYPES, type ImportType } from '../../import/column-mapping';
import { openErrorsFile, type ErrorsFile } from '../../import/errors-file';
import {
  DEFAULT_IMPORT_COMPRESSION,
  IMPORT_COMPRESSIONS,
  type ImportCompression,
} from '../../import/import-compression';
import { IMPORT_FORMATS, type ImportFormat } from '../../import/import-file';
import {
  newCounters,
  planFiles,
  runImport,
  type ImportCounters,
  type ImportOptions,
  type RejectedRow,
} from '../../import/import-pipeline';
import { runImportInWorker } from '../../import/import-in-worker';
import { formatSummary, startProgress } from '../../import/import-progress';
import { rawEventSender, type RawEventSender } from '../../import/raw-event-sender';

export interface ImportCommandOptions {
  tenant?: string;
  format?: string;
  type?: string;
  map?: string[];
  dryRun?: boolean;
  errors?: string;
  /** Default cdp.events.raw.v1; tests and staging runs write to a topic of their own. */
  topic?: string;
  /** Record batch compression (import-compression.ts); default none. */
  compression?: string;
  /**
   * Rows to skip, per batch; see ImportOptions.skipEvents. With a hook the import runs in this
   * thread (a function cannot cross to the worker); without one it runs in a worker thread.
   */
  skipEvents?: ImportOptions['skipEvents'];
  /** Skip the tenant's suppressed subjects (what `cdp import` does; checked in the worker thread). */
  skipSuppressed?: { identity: unknown };
  /** Progress output; default stderr. */
  progress?: NodeJS.WriteStream;
}

export interface ImportResult {
  code: number;
  counters: ImportCounters;
}

/** Rejected rows shown on stderr when no --errors file is given. */
const SHOWN_WITHOUT_ERRORS_FILE = 10;

class UsageError extends Error {}

function choice<T extends string>(
  value: string | undefined,
  allowed: readonly T[],
  option: string,
): T | undefined {
  if (value === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(value))
    throw new UsageError(`${option} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

function describeFailure(err: unknown, config: Config): string {
  const message = err instanceof Error ? err.message : String(err);
  const name = err instanceof Error ? err.name : '';
  if (name.startsWith('KafkaJS'))
    return `cannot reach Kafka at ${config.CDP_KAFKA_BROKERS.join(',')}: ${message}`;
  return message;
}

export async function importFiles(
  config: Config,
  files: string[],
  options: ImportCommandOptions,
): Promise<ImportResult> {
  const counters = newCounters();
  const fail = (message: string): ImportResult => {
    process.stderr.write(`cdp import: ${message}\n`);
    return { code: 1, counters };
  };
  let format: ImportFormat | undefined;
  let type: ImportType | undefined;
  let compression: ImportCompression;
  try {
    format = choice(options.format, IMPORT_FORMATS, '--format');
    type = choice(options.type, IMPORT_TYPES, '--type');
    compression =
      choice(options.compression, IMPORT_COMPRESSIONS, '--compression') ?? DEFAULT_IMPORT_COMPRESSION;
  } catch (err) {
    return fail((err as Error).message);
  }
  const tenant = options.tenant;
  if (tenant === undefined) return fail('--tenant is required');
  if (!TENANT_ID_PATTERN.test(tenant))
    return fail(`--tenant '${tenant}' is not a tenant id (${TENANT_ID_RULE})`);
  try {
    if (loadTenants(config.CDP_TENANTS_FILE).byId(tenant) === undefined)
      return fail(`unknown tenant '${tenant}' (not in ${config.CDP_TENANTS_FILE})`);
  } catch (err) {
    return fail((err as Error).message);
  }
  const topic = options.topic ?? TOPICS.eventsRaw;

  let errorsFile: ErrorsFile | undefined;
  let producer: MessageProducer | undefined;
  let progress: { stop(): void } | undefined;
  let shown = 0;
  try {
    // A missing file or an unknown format fails before Kafka is even contacted.
    const plan = await planFiles(files, format);
    counters.totalBytes = plan.reduce((sum, p) => sum + p.size, 0);
    if (options.errors !== undefined) errorsFile = await openErrorsFile(options.errors);
    let sink: RawEventSender | undefined;
    if (options.dryRun !== true) {
      const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-import`, { quiet: true });
      await requireTopics(kafka, [topic]);
      producer = await createProducer(kafka, {
        maxRequestBytes: config.CDP_KAFKA_MAX_REQUEST_BYTES,
        compression,
      });
      sink = rawEventSender({
        codec: new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL),
        producer,
        topic,
        onAcknowledged: (n) => {
          counters.sent += n;
        },
      });
    }
    const onRejected = async (row: RejectedRow) => {
      if (errorsFile) return errorsFile.write(row);
      if (shown++ < SHOWN_WITHOUT_ERRORS_FILE)
        process.stderr.write(
          `cdp import: ${row.file} row ${row.row} (line ${row.line})${row.column === null ? '' : ` column ${JSON.stringify(row.column)}`}: ${row.reason}\n`,
        );
    };
    progress = startProgress(counters, options.progress);
    const common = {
      tenant,
      type,
      format,
      maps: options.map ?? [],
      maxEventBytes: config.CDP_COLLECTOR_MAX_EVENT_BYTES,
      onRejected,
      counters,
    };
    // Sending: reading, mapping, checking and encoding run in a worker thread while this one sends
    // (two cores). A dry run sends nothing and a skipEvents function cannot cross threads: here.
    if (sink !== undefined && options.skipEvents === undefined)
      await runImportInWorker(files, {
        ...common,
        registryUrl: config.CDP_SCHEMA_REGISTRY_URL,
        topic,
        sink,
        suppression:
          options.skipSuppressed === undefined
            ? undefined
            : { redisUrl: config.CDP_REDIS_URL, identity: options.skipSuppressed.identity },
      });
    else await runImport(files, { ...common, sink, skipEvents: options.skipEvents });
    progress.stop();
    progress = undefined;
    console.log(
      formatSummary(counters, Date.now(), {
        tenant,
        topic,
        dryRun: options.dryRun === true,
        errorsFile: options.errors,
        skipping: options.skipEvents !== undefined || options.skipSuppressed !== undefined,
      }),
    );
    return { code: counters.rejected > 0 ? 2 : 0, counters };
  } catch (err) {
    progress?.stop();
    const done =
      counters.sent > 0
        ? ` (${counters.sent} rows were acknowledged before; importing the file again sends them with the same messageIds, which are deduplicated downstream)`
        : '';
    return fail(`${describeFailure(err, config)}${done}`);
  } finally {
    await errorsFile?.close();
    await producer?.disconnect().catch(() => undefined);
  }
}

/** `importFiles` skipping the tenant's suppressed subjects (what `cdp import` runs). */
export async function importSkippingSuppressed(
  config: Config,
  files: string[],
  options: ImportCommandOptions,
): Promise<ImportResult> {
  const tenant =
    options.tenant === undefined ? undefined : loadTenants(config.CDP_TENANTS_FILE).byId(options.tenant);
  // Suppressed subjects (cdp privacy suppress) are skipped as the collector and resolver drop them.
  // A dry run sends nothing, so it does not need Redis and does not check.
  if (options.dryRun === true || options.skipEvents !== undefined || tenant === undefined)
    return importFiles(config, files, options);
  // The worker thread checks each batch against the list (its own Redis connection).
  return importFiles(config, files, { ...options, skipSuppressed: { identity: tenant.identity } });
}

export async function importCommand(
  config: Config,
  files: string[],
  options: ImportCommandOptions,
): Promise<number> {
  return (await importSkippingSuppressed(config, files, options)).code;
}

type Action = (run: (config: Config) => Promise<number>) => () => Promise<void>;

export function registerImportCommand(program: Command, action: Action): void {
  program
    .command('import')
    .argument('<files...>', 'CSV, NDJSON (.ndjson/.jsonl) or JSON-array (.json) files, optionally .gz')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--format <format>', `${IMPORT_FORMATS.join('|')} (default: from each file name)`)
    .option('--type <type>', `${IMPORT_TYPES.join('|')}: what CSV rows become (default identify)`)
    .option(
      '--map <column=field>',
      'map a CSV column to a field, e.g. "E-Mail=traits.email" (repeatable)',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--dry-run', 'read, map and check every row; send nothing')
    .option('--errors <file>', 'write every rejected row to this file (NDJSON)')
    .option('--topic <topic>', 'raw events topic to write (default cdp.events.raw.v1)')
    .option(
      '--compression <codec>',
      `${IMPORT_COMPRESSIONS.join('|')}: record batch compression (default ${DEFAULT_IMPORT_COMPRESSION}; gzip stores about a fifth of the bytes for more CPU)`,
    )
    .description('import customer data from files into the raw events topic (docs/import.md)')
    .action((files: string[], options: ImportCommandOptions) =>
      action((config) => importCommand(config, files, options))(),
    );
}
