// Progress of one privacy request in Redis, so a restart in the middle of a delete resumes where it
// stopped and reports what the first run removed:
//   {t:<tenant>}:privacy:request:<requestId>  hash  subject (JSON or "none"), step:<store> (JSON
//                                             result), before:<store> (count before a ClickHouse
//                                             mutation), receipt (JSON, once built)
//   {t:<tenant>}:privacy:done:<requestId>     string  receipt id; set once the receipt is acknowledged
//                                             (no personal data), kept as long as the requests topic
// The request hash names the subject, so it is removed as soon as the receipt is acknowledged.
import type { Redis } from '../common/redis/redis-client';
import type { PrivacyReceiptRecord, PrivacyStoreResult } from '../common/streams/privacy-receipts';
import { tenantPrefix } from '../identity-resolver/redis-keys';
import type { Subject } from './subject';

const DONE_TTL_SECONDS = 30 * 24 * 60 * 60;

export function requestKey(tenant: string, requestId: string): string {
  return `${tenantPrefix(tenant)}:privacy:request:${requestId}`;
}

export function doneKey(tenant: string, requestId: string): string {
  return `${tenantPrefix(tenant)}:privacy:done:${requestId}`;
}

export class RequestProgress {
  private constructor(
    private readonly redis: Redis,
    readonly tenant: string,
    readonly requestId: string,
    private readonly fields: Record<string, string>,
  ) {}

  static async load(redis: Redis, tenant: string, requestId: string): Promise<RequestProgress> {
    return new RequestProgress(redis, tenant, requestId, await redis.hgetall(requestKey(tenant, requestId)));
  }

  static async isDone(redis: Redis, tenant: string, requestId: string): Promise<boolean> {
    return (await redis.exists(doneKey(tenant, requestId))) === 1;
  }

  private async set(field: string, value: string): Promise<void> {
    await this.redis.hset(requestKey(this.tenant, this.requestId), field, value);
    this.fields[field] = value;
  }

  /** undefined: not resolved yet; null: nothing found. */
  subject(): Subject | null | undefined {
    const raw = this.fields.subject;
    if (raw === undefined) return undefined;
    return raw === 'none' ? null : (JSON.parse(raw) as Subject);
  }

  saveSubject(subject: Subject | null): Promise<void> {
    return this.set('subject', subject === null ? 'none' : JSON.stringify(subject));
  }

  step(store: string): PrivacyStoreResult | undefined {
    const raw = this.fields[`step:${store}`];
    return raw === undefined ? undefined : (JSON.parse(raw) as PrivacyStoreResult);
  }

  saveStep(result: PrivacyStoreResult): Promise<void> {
    return this.set(`step:${result.store}`, JSON.stringify(result));
  }

  before(store: string): number | undefined {
    const raw = this.fields[`before:${store}`];
    return raw === undefined ? undefined : Number(raw);
  }

  saveBefore(store: string, count: number): Promise<void> {
    return this.set(`before:${store}`, String(count));
  }

  receipt(): PrivacyReceiptRecord | undefined {
    const raw = this.fields.receipt;
    return raw === undefined ? undefined : (JSON.parse(raw) as PrivacyReceiptRecord);
  }

  saveReceipt(receipt: PrivacyReceiptRecord): Promise<void> {
    return this.set('receipt', JSON.stringify(receipt));
  }
}

/** After the receipt is acknowledged: keep only the marker that it was sent. */
export async function markDone(redis: Redis, tenant: string, requestId: string, receiptId: string) {
  await redis
    .multi()
    .set(doneKey(tenant, requestId), receiptId, 'EX', DONE_TTL_SECONDS)
    .unlink(requestKey(tenant, requestId))
    .exec();
}
