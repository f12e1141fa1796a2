// Pure parsing of infra/clickhouse/*.sql migrations: NNNN_name.sql, statements split on `;` at a
// line end, optional `-- @min-version X.Y` header for features an old server lacks.
import crypto from 'node:crypto';

export interface Migration {
  version: number;
  name: string;
  checksum: string;
  minServerVersion?: string;
  statements: string[];
}

const FILE_PATTERN = /^(\d{4})_([a-z0-9_]+)\.sql$/;

export function parseMigration(fileName: string, text: string): Migration {
  const match = FILE_PATTERN.exec(fileName);
  if (!match) throw new Error(`migration file ${fileName} must be named NNNN_snake_case.sql`);
  const minVersion = /^--\s*@min-version\s+([\d.]+)\s*$/m.exec(text)?.[1];
  const withoutComments = text
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n');
  const statements = withoutComments
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (statements.length === 0) throw new Error(`migration file ${fileName} has no statements`);
  return {
    version: Number(match[1]),
    name: match[2] as string,
    checksum: crypto.createHash('sha256').update(text).digest('hex'),
    minServerVersion: minVersion,
    statements,
  };
}

export function sortMigrations(migrations: Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]?.version === sorted[i - 1]?.version) {
      throw new Error(`two migrations share version ${sorted[i]?.version}`);
    }
  }
  return sorted;
}

/** `{db}` in a statement stands for the target database, so files do not hard-code it. */
export function bindDatabase(statement: string, quotedDatabase: string): string {
  return statement.replace(/\{db\}/g, quotedDatabase);
}
