// `cdp privacy access|delete|suppress|unsuppress <type:value> --tenant T [--wait] [--json]` and
// `cdp privacy status REQUEST_ID --tenant T`: requests go on cdp.privacy.requests.v1, the privacy
// service carries them out, receipts come back on cdp.privacy.receipts.v1.
import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { createKafka, type Kafka } from '../../common/kafka/kafka-client';
import { deletePrivateGroups } from '../../common/kafka/private-readers';
import { createProducer } from '../../common/kafka/producer';
import { readTopicToEnd } from '../../common/kafka/read-to-end';
import { TOPICS } from '../../common/kafka/topics';
import { privacyReceipts, type PrivacyReceiptRecord } from '../../common/streams/privacy-receipts';
import { privacyRequests, type PrivacyAction } from '../../common/streams/privacy-requests';
import { loadTenants } from '../../common/tenants';
import { buildPrivacyRequest, publishPrivacyRequest } from '../../privacy/privacy-request';

export interface PrivacyRequestOptions {
  tenant: string;
  wait?: boolean;
  json?: boolean;
  /** How long --wait waits for the receipt. */
  timeoutMs?: number;
}

export function formatReceipt(r: PrivacyReceiptRecord): string {
  const when = (ms: number | null) => (ms === null ? '' : new Date(ms).toISOString());
  const lines = [
    `request     ${r.requestId}  (${r.action}, tenant ${r.tenant})`,
    `receipt     ${r.receiptId}`,
    `status      ${r.status}${r.detail === null ? '' : `: ${r.detail}`}`,
    `completed   ${when(r.completedAt)}`,
    `profiles    ${r.profileIds.length}${r.profileIds.length > 0 ? `  ${r.profileIds.join(' ')}` : ''}`,
    `identifiers ${r.identifiers.length}${r.identifiers.length > 0 ? `  ${r.identifiers.join(' ')}` : ''}`,
  ];
  if (r.exportPath !== null) lines.push(`export      ${r.exportPath}`);
  if (r.stores.length > 0) {
    const width = Math.max(...r.stores.map((s) => s.store.length));
    lines.push(`${'store'.padEnd(width)}  ${'removed'.padStart(7)}  ${'after'.padStart(5)}  expires / note`);
    for (const s of r.stores) {
      const after = s.remaining === null ? '-' : String(s.remaining);
      const tail = [when(s.expiresAt), s.note ?? ''].filter((x) => x !== '').join('  ');
      lines.push(`${s.store.padEnd(width)}  ${String(s.removed).padStart(7)}  ${after.padStart(5)}  ${tail}`);
    }
  }
  return lines.join('\n');
}

/** Reads receipts from the given offsets on until the one for `requestId` arrives. */
async function awaitReceipt(
  kafka: Kafka,
  codec: AvroCodec,
  from: { partition: number; offset: string }[],
  key: string,
  timeoutMs: number,
): Promise<PrivacyReceiptRecord> {
  const groupId = `cdp-privacy-cli-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: false });
  let done: (r: PrivacyReceiptRecord | Error) => void = () => undefined;
  const result = new Promise<PrivacyReceiptRecord | Error>((resolve) => (done = resolve));
  const timer = setTimeout(
    () => done(new Error(`no receipt for ${key} within ${timeoutMs} ms (is 'cdp run privacy' running?)`)),
    timeoutMs,
  );
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [TOPICS.privacyReceipts], fromBeginning: false });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.key?.toString('utf8') !== key || message.value === null) return;
        done(await codec.decodeRecord(privacyReceipts, message.value));
      },
    });
    for (const p of from)
      consumer.seek({ topic: TOPICS.privacyReceipts, partition: p.partition, offset: p.offset });
    const r = await result;
    if (r instanceof Error) throw r;
    return r;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
    await deletePrivateGroups(kafka, [groupId]);
  }
}

export async function privacyRequest(
  config: Config,
  action: PrivacyAction,
  identifier: string,
  options: PrivacyRequestOptions,
): Promise<number> {
  const tenant = loadTenants(config.CDP_TENANTS_FILE).byId(options.tenant);
  if (tenant === undefined) {
    process.stderr.write(
      `cdp privacy ${action}: unknown tenant '${options.tenant}' (not in ${config.CDP_TENANTS_FILE})\n`,
    );
    return 1;
  }
  const built = buildPrivacyRequest(tenant, action, identifier, process.env.USER ?? null);
  if (!built.ok) {
    process.stderr.write(`cdp privacy ${action}: ${built.reason}\n`);
    return 1;
  }
  const { request } = built;
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-privacy-cli`);
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const admin = kafka.admin();
  await admin.connect();
  const from = (await admin.fetchTopicOffsets(TOPICS.privacyReceipts)).map((p) => ({
    partition: p.partition,
    offset: p.high,
  }));
  await admin.disconnect();
  const producer = await createProducer(kafka);
  try {
    await publishPrivacyRequest(producer, codec, request);
  } finally {
    await producer.disconnect();
  }
  if (!options.wait) {
    process.stdout.write(
      options.json
        ? `${JSON.stringify(request)}\n`
        : `request ${request.requestId} sent (${action} ${request.identifier}, tenant ${tenant.id})\n`,
    );
    return 0;
  }
  const receipt = await awaitReceipt(
    kafka,
    codec,
    from,
    privacyRequests.key(request) /* receipts share the request's key */,
    options.timeoutMs ?? 600_000,
  );
  process.stdout.write(options.json ? `${JSON.stringify(receipt)}\n` : `${formatReceipt(receipt)}\n`);
  return receipt.status === 'failed' ? 1 : 0;
}

export async function privacyStatus(
  config: Config,
  requestId: string,
  options: { tenant: string; json?: boolean },
): Promise<number> {
  const kafka = createKafka(config, `${config.CDP_KAFKA_CLIENT_ID}-privacy-cli`);
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const key = `${options.tenant}:${requestId}`;
  let found: PrivacyReceiptRecord | undefined;
  await readTopicToEnd({
    kafka,
    topic: TOPICS.privacyReceipts,
    onRecord: async (r) => {
      if (r.key?.toString('utf8') === key && r.value !== null)
        found = await codec.decodeRecord(privacyReceipts, r.value);
    },
  });
  if (found === undefined) {
    process.stderr.write(
      `cdp privacy status: no receipt for request ${requestId} of tenant ${options.tenant} (yet)\n`,
    );
    return 1;
  }
  process.stdout.write(options.json ? `${JSON.stringify(found)}\n` : `${formatReceipt(found)}\n`);
  return 0;
}

type Action = (
  run: (config: Config, ...args: string[]) => Promise<number> | number,
) => (...args: unknown[]) => Promise<void>;

export function privacyCommands(program: Command, action: Action): void {
  const privacy = program
    .command('privacy')
    .description('data-subject requests: access, delete, suppress, unsuppress');
  const actions: [PrivacyAction, string][] = [
    ['access', 'write one JSON document of everything held on the subject'],
    ['delete', 'erase the subject from every store; the receipt shows each store checked afterwards'],
    ['suppress', 'delete the subject and drop its future events until unsuppress'],
    ['unsuppress', 'lift a suppression (deleted data stays deleted)'],
  ];
  for (const [name, description] of actions) {
    privacy
      .command(name)
      .argument('<identifier>', 'type:value, e.g. email:ann@example.com')
      .requiredOption('--tenant <tenant>', 'tenant id')
      .option('--wait', 'wait for the receipt and print it')
      .option('--json', 'print JSON')
      .description(description)
      .action((identifier: string, options: PrivacyRequestOptions) =>
        action((config) => privacyRequest(config, name, identifier, options))(),
      );
  }
  privacy
    .command('status')
    .argument('<requestId>', 'the id printed when the request was sent')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--json', 'print JSON')
    .description("print a request's receipt")
    .action((requestId: string, options: { tenant: string; json?: boolean }) =>
      action((config) => privacyStatus(config, requestId, options))(),
    );
}
