// Opening an import file: its format from the name, its content hash (one streaming pass), and a
// byte stream that counts what was read (for progress), un-gzips `.gz` and drops a UTF-8 BOM.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

export const IMPORT_FORMATS = ['csv', 'ndjson', 'json'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

const BY_EXTENSION: Record<string, ImportFormat> = {
  csv: 'csv',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
  json: 'json',
};

export function isGzipped(file: string): boolean {
  return file.toLowerCase().endsWith('.gz');
}

/** From the name (`.csv`, `.ndjson` / `.jsonl`, `.json`, each optionally `.gz`); undefined if none fits. */
export function formatOfFileName(file: string): ImportFormat | undefined {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  const dot = name.lastIndexOf('.');
  return dot < 0 ? undefined : BY_EXTENSION[name.slice(dot + 1)];
}

/** SHA-256 of the file's bytes as stored (compressed, for a .gz), read as a stream. */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function fileSize(file: string): Promise<number> {
  return (await stat(file)).size;
}

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/** Drops a UTF-8 byte order mark at the start, even when it arrives split over chunks. */
export function stripBom(): Transform {
  let head: Buffer | null = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (head === null) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < BOM.length && BOM.subarray(0, head.length).equals(head)) return done();
      const out = head.subarray(0, 3).equals(BOM) ? head.subarray(3) : head;
      head = null;
      done(null, out);
    },
    flush(done) {
      // A file shorter than a BOM that was a prefix of one.
      if (head !== null && head.length > 0) this.push(head);
      done();
    },
  });
}

/** The file's content as bytes; `onBytes` hears of every chunk read from disk (before gunzip). */
export function openImportFile(file: string, onBytes: (n: number) => void): Readable {
  const source = createReadStream(file, { highWaterMark: 256 * 1024 });
  source.on('data', (chunk: Buffer | string) => onBytes(chunk.length));
  let stream: Readable = source;
  if (isGzipped(file)) {
    const gunzip = createGunzip();
    source.on('error', (err) => gunzip.destroy(err));
    stream = source.pipe(gunzip);
  }
  const bomless = stripBom();
  stream.on('error', (err) => bomless.destroy(err));
  return stream.pipe(bomless);
}
