// Deterministic messageIds for imported rows: the same tenant, file bytes and row always give the
// same id, so importing a file twice writes messages that the resolver's messageId dedupe drops.
import { hash } from 'node:crypto';

/** `import-` + 64 hex characters: inside the 100-character messageId limit. */
export function importMessageId(tenant: string, fileSha256: string, row: number): string {
  // One-shot hash: no Hash object per row (the import makes one id per row).
  return `import-${hash('sha256', `${tenant}\n${fileSha256}\n${row}`, 'hex')}`;
}
