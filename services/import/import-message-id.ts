// Deterministic messageIds for imported rows: the same tenant, file bytes and row always give the
// same id, so importing a file twice writes messages that the resolver's messageId dedupe drops.
import { createHash } from 'node:crypto';

/** `import-` + 64 hex characters: inside the 100-character messageId limit. */
export function importMessageId(tenant: string, fileSha256: string, row: number): string {
  return `import-${createHash('sha256').update(`${tenant}\n${fileSha256}\n${row}`).digest('hex')}`;
}
