// `cdp keys create --tenant T --read|--privacy [--json]`: a new read key (reads profiles) or privacy
// key (makes privacy requests) for the profile API. Only its SHA-256
// goes into the tenants file (replaced atomically: temp file + rename, so a running service reading
// it sees the old file or the new one, never half of one); the key is printed once.
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../common/config';
import { isJsonObject } from '../../common/events/json-object';
import { parseTenantsFile, sha256Hex } from '../../common/tenants';
import { generateApiKey, type ApiKeyKind } from '../../profile-api/api-keys';

export interface KeysCreateOptions {
  tenant?: string;
  read?: boolean;
  privacy?: boolean;
  json?: boolean;
}

export function keysCreate(config: Config, options: KeysCreateOptions): number {
  const file = config.CDP_TENANTS_FILE;
  if ((options.read === true) === (options.privacy === true)) {
    process.stderr.write(
      'cdp keys create: say which kind: --read or --privacy (write keys are listed as writeKeys in the tenants file)\n',
    );
    return 2;
  }
  const kind: ApiKeyKind = options.read === true ? 'read' : 'privacy';
  const list = kind === 'read' ? 'readKeyHashes' : 'privacyKeyHashes';
  if (options.tenant === undefined) {
    process.stderr.write('cdp keys create: --tenant is required\n');
    return 2;
  }
  const text = readFileSync(file, 'utf8');
  parseTenantsFile(text, file);
  // Edit the file as written, not the parsed form: fields this version does not know are kept.
  const raw = JSON.parse(text) as { tenants: unknown[] };
  const tenant = raw.tenants.find((t) => isJsonObject(t) && t.id === options.tenant);
  if (!isJsonObject(tenant)) {
    process.stderr.write(`cdp keys create: unknown tenant '${options.tenant}' (not in ${file})\n`);
    return 2;
  }
  const key = generateApiKey(kind);
  const hashes = Array.isArray(tenant[list]) ? tenant[list] : [];
  tenant[list] = [...hashes, sha256Hex(key)];
  const next = `${JSON.stringify(raw, null, 2)}\n`;
  parseTenantsFile(next, file);
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // Same permissions as the file it replaces.
  writeFileSync(temp, next, { mode: statSync(file).mode & 0o777 });
  renameSync(temp, file);
  if (options.json) console.log(JSON.stringify({ tenant: options.tenant, key, kind }));
  else
    console.log(
      `${kind} key for tenant ${options.tenant} (shown only now; ${file} keeps its SHA-256):\n${key}`,
    );
  return 0;
}
