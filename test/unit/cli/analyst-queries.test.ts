// The analyst SQL lives in code; docs/analytics.md must show each query verbatim, and binding must
// escape every value, since ClickHouse 18.16 has no query parameters.
import fs from 'node:fs';
import path from 'node:path';
import * as queries from '../../../services/cli/demo/analyst-queries';

const doc = fs.readFileSync(path.join(__dirname, '../../../docs/analytics.md'), 'utf8');
const sqlEntries: [string, string][] = Object.entries(queries as Record<string, unknown>).flatMap(
  ([name, value]) => (typeof value === 'string' ? [[name, value] as [string, string]] : []),
);

describe('analyst queries', () => {
  it.each(sqlEntries)('docs/analytics.md shows %s verbatim', (_name, sql) => {
    expect(doc).toContain(`\`\`\`sql\n${sql}\n\`\`\``);
  });

  it('binds the database as an identifier and other placeholders as escaped strings', () => {
    expect(queries.bindQuery('SELECT * FROM {db}.t WHERE a = {tenant}', { db: 'cdp', tenant: "o'k" })).toBe(
      "SELECT * FROM `cdp`.t WHERE a = 'o\\'k'",
    );
  });

  it('refuses a placeholder without a value', () => {
    expect(() => queries.bindQuery('SELECT {plan}', { db: 'cdp' })).toThrow('{plan}');
  });
});
