import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadTenants, parseTenantsFile } from '../../../services/common/tenants';

const example = path.resolve(__dirname, '../../../config/tenants.example.json');

describe('tenants file', () => {
  it('loads the committed example: demo-write-key -> demo', () => {
    const dir = loadTenants(example);
    expect(dir.byWriteKey('demo-write-key')?.id).toBe('demo');
    expect(dir.byWriteKey('nope')).toBeUndefined();
    expect(dir.byId('demo')?.writeKeys).toEqual(['demo-write-key']);
  });

  it('keeps identity rules opaque for the resolver to validate', () => {
    const file = parseTenantsFile(
      JSON.stringify({
        tenants: [{ id: 'acme', writeKeys: ['acme-key-1'], identity: { limits: { email: 2 } } }],
      }),
      'x.json',
    );
    expect(file.tenants[0]?.identity).toEqual({ limits: { email: 2 } });
  });

  it.each([
    ['{', /^invalid tenants file t\.json: not JSON/],
    ['{}', /^invalid tenants file t\.json: tenants /],
    ['{"tenants":[]}', /^invalid tenants file t\.json: tenants /],
    ['{"tenants":[{"id":"Bad Id","writeKeys":["k-12345678"]}]}', /tenants\.0\.id must be/],
    ['{"tenants":[{"id":"a","writeKeys":[]}]}', /tenants\.0\.writeKeys/],
    [
      '{"tenants":[{"id":"a","writeKeys":["short"]}]}',
      /tenants\.0\.writeKeys\.0 write keys must be at least 8/,
    ],
    [
      '{"tenants":[{"id":"a","writeKeys":["k-12345678"]},{"id":"a","writeKeys":["k-87654321"]}]}',
      /duplicate tenant id 'a'/,
    ],
    [
      '{"tenants":[{"id":"a","writeKeys":["k-12345678"]},{"id":"b","writeKeys":["k-12345678"]}]}',
      /tenants\.1\.writeKeys\.0 write key already used by tenant 'a'/,
    ],
  ])('rejects %s with one line naming the file and the problem', (contents, message) => {
    let error: Error | undefined;
    try {
      parseTenantsFile(contents, 't.json');
    } catch (err) {
      error = err as Error;
    }
    expect(error?.name).toBe('TenantsFileError');
    expect(error?.message).toMatch(message);
    expect(error?.message).not.toContain('\n');
  });

  it('names a file it cannot read', () => {
    const missing = path.join(mkdtempSync(path.join(os.tmpdir(), 'tenants-')), 'missing.json');
    expect(() => loadTenants(missing)).toThrow(`cannot read tenants file ${missing}: ENOENT`);
    const bad = path.join(path.dirname(missing), 'bad.json');
    writeFileSync(bad, '[]');
    expect(() => loadTenants(bad)).toThrow(`invalid tenants file ${bad}:`);
  });
});
