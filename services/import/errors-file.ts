// The errors file: one JSON line per rejected row, written as rows are rejected (so a long import's
// errors can be read while it runs), waiting for the disk when it is slower than the import.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import type { RejectedRow } from './import-pipeline';

export interface ErrorsFile {
  write(row: RejectedRow): Promise<void>;
  close(): Promise<void>;
}

export async function openErrorsFile(path: string): Promise<ErrorsFile> {
  const out: WriteStream = createWriteStream(path, { flags: 'w' });
  await once(out, 'open');
  return {
    async write(row) {
      if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
    },
    async close() {
      out.end();
      await once(out, 'finish');
    },
  };
}
