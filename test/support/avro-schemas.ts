// Reads the committed Avro schemas (schemas/*.avsc) and their git history for contract tests.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const schemasDir = path.join(repoRoot, 'schemas');

export interface AvroField {
  name: string;
  type: unknown;
  default?: unknown;
  doc?: string;
}

export interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

export function schemaFiles(): string[] {
  return readdirSync(schemasDir)
    .filter((f) => f.endsWith('.avsc'))
    .sort();
}

export function readSchema(topic: string): AvroRecordSchema {
  return JSON.parse(readFileSync(path.join(schemasDir, `${topic}.avsc`), 'utf8')) as AvroRecordSchema;
}

function git(args: string[]): string | undefined {
  try {
    return execFileSync('git', args, {
      cwd: repoRoot,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return undefined;
  }
}

/**
 * Every distinct committed version of a topic's schema, oldest first, then the working copy when it
 * differs from the last commit: the sequence the registry would have seen.
 */
export function schemaVersions(topic: string): string[] {
  const file = `schemas/${topic}.avsc`;
  const commits = (git(['log', '--format=%H', '--reverse', '--', file]) ?? '').split('\n').filter(Boolean);
  const versions: string[] = [];
  const push = (text: string | undefined) => {
    if (text === undefined) return;
    const canonical = JSON.stringify(JSON.parse(text));
    if (versions[versions.length - 1] !== canonical) versions.push(canonical);
  };
  for (const c of commits) push(git(['show', `${c}:${file}`]));
  push(readFileSync(path.join(repoRoot, file), 'utf8'));
  return versions;
}
