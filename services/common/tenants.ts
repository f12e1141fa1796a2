// Tenants, their write keys and hashed read and privacy keys, from the JSON file named by CDP_TENANTS_FILE. Each
// tenant may carry identity rules that the identity resolver validates with its own schema.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';

/**
 * The one syntax of a tenant id: it becomes part of Redis keys (`{t:<tenant>}`), Kafka keys
 * (`<tenant>:...`) and ClickHouse rows, so it holds no ':', '{', '}' or spaces.
 */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const TENANT_ID_RULE = '1-64 characters of a-z, 0-9, _ or -, starting with a letter or digit';

const tenantId = z.string().regex(TENANT_ID_PATTERN, `must be ${TENANT_ID_RULE}`);

export const tenantSchema = z.object({
  id: tenantId,
  writeKeys: z.array(z.string().min(8, 'write keys must be at least 8 characters')).min(1),
  identity: z.unknown().optional(),
  /** SHA-256 (hex) of each read key of the profile API: the keys themselves are never stored. */
  readKeyHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex')).optional(),
  /** SHA-256 (hex) of each privacy key: the privileged key that makes privacy requests over HTTP. */
  privacyKeyHashes: z.array(z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 in hex')).optional(),
  /**
   * opt_in: a profile with no recorded consent for a category receives nothing that needs it (the
   * default); opt_out: no record means allowed. docs/destinations.md, "Consent".
   */
  consent_mode: z.enum(['opt_in', 'opt_out']).optional(),
});

export type ConsentMode = 'opt_in' | 'opt_out';

/** A tenant's consent mode; an unknown tenant is opt_in (fail closed). */
export function consentModeOf(tenant: { consent_mode?: ConsentMode } | undefined): ConsentMode {
  return tenant?.consent_mode ?? 'opt_in';
}

export const tenantsFileSchema = z
  .object({ tenants: z.array(tenantSchema).min(1) })
  .superRefine((file, ctx) => {
    const ids = new Set<string>();
    const keys = new Map<string, string>();
    file.tenants.forEach((t, i) => {
      if (ids.has(t.id))
        ctx.addIssue({
          code: 'custom',
          path: ['tenants', i, 'id'],
          message: `duplicate tenant id '${t.id}'`,
        });
      ids.add(t.id);
      t.writeKeys.forEach((k, j) => {
        const owner = keys.get(k);
        if (owner !== undefined) {
          // A key shared by two tenants would make attribution ambiguous.
          ctx.addIssue({
            code: 'custom',
            path: ['tenants', i, 'writeKeys', j],
            message: `write key already used by tenant '${owner}'`,
          });
        }
        keys.set(k, t.id);
      });
    });
    checkKeyHashes(file.tenants, ctx);
  });

/** The hashed API key lists of a tenant, with the name a message uses for their keys. */
const HASHED_KEY_LISTS = [
  ['readKeyHashes', 'read key'],
  ['privacyKeyHashes', 'privacy key'],
] as const;

/**
 * An API key belongs to one tenant and one kind: never also a write key (a write key must not
 * read), never both a read and a privacy key (a read key must not erase people).
 */
function checkKeyHashes(tenants: readonly z.infer<typeof tenantSchema>[], ctx: z.RefinementCtx): void {
  const writeKeyHashes = new Set(tenants.flatMap((t) => t.writeKeys.map((k) => sha256Hex(k))));
  const owners = new Map<string, { tenant: string; kind: string }>();
  for (const [list, kind] of HASHED_KEY_LISTS) {
    tenants.forEach((t, i) => {
      (t[list] ?? []).forEach((h, j) => {
        const path = ['tenants', i, list, j];
        const owner = owners.get(h);
        if (owner !== undefined && owner.tenant !== t.id)
          ctx.addIssue({ code: 'custom', path, message: `${kind} already used by tenant '${owner.tenant}'` });
        else if (owner !== undefined && owner.kind !== kind)
          ctx.addIssue({
            code: 'custom',
            path,
            message: `is the hash of a ${owner.kind}; ${kind}s are separate`,
          });
        if (writeKeyHashes.has(h))
          ctx.addIssue({
            code: 'custom',
            path,
            message: `is the hash of a write key; ${kind}s are separate`,
          });
        owners.set(h, { tenant: t.id, kind });
      });
    });
  }
}

/** How a read or privacy key is stored and looked up: SHA-256, hex. */
export function sha256Hex(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

export type Tenant = z.infer<typeof tenantSchema>;
export type TenantsFile = z.infer<typeof tenantsFileSchema>;

export class TenantsFileError extends Error {
  override name = 'TenantsFileError';
}

export interface TenantDirectory {
  tenants: readonly Tenant[];
  byWriteKey(writeKey: string): Tenant | undefined;
  byId(id: string): Tenant | undefined;
}

export function tenantDirectory(file: TenantsFile): TenantDirectory {
  const keys = new Map<string, Tenant>();
  const ids = new Map<string, Tenant>();
  for (const t of file.tenants) {
    ids.set(t.id, t);
    for (const k of t.writeKeys) keys.set(k, t);
  }
  return { tenants: file.tenants, byWriteKey: (k) => keys.get(k), byId: (id) => ids.get(id) };
}

/** Parses file contents; throws TenantsFileError whose message is one line naming the file and problem. */
export function parseTenantsFile(contents: string, fileName: string): TenantsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(contents);
  } catch (err) {
    throw new TenantsFileError(`invalid tenants file ${fileName}: not JSON (${(err as Error).message})`);
  }
  const parsed = tenantsFileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? issue.path.map(String).join('.') : '(top level)';
    throw new TenantsFileError(
      `invalid tenants file ${fileName}: ${where} ${issue?.message ?? 'is invalid'}`,
    );
  }
  return parsed.data;
}

export function loadTenants(fileName: string): TenantDirectory {
  let contents: string;
  try {
    contents = readFileSync(fileName, 'utf8');
  } catch (err) {
    throw new TenantsFileError(
      `cannot read tenants file ${fileName}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return tenantDirectory(parseTenantsFile(contents, fileName));
}
