import { Readable } from 'node:stream';
import { readJsonArrayRows } from '../../../services/import/read-json-array-rows';
import { readNdjsonRows } from '../../../services/import/read-ndjson-rows';
import type { SourceRow } from '../../../services/import/source-row';

function bytes(...chunks: (string | Buffer)[]): Readable {
  return Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c)));
}

async function all(gen: AsyncGenerator<SourceRow>): Promise<SourceRow[]> {
  const out: SourceRow[] = [];
  for await (const r of gen) out.push(r);
  return out;
}

function summary(list: SourceRow[]): unknown[] {
  return list.map((r) => (r.kind === 'value' ? [r.row, r.value] : r.kind === 'error' ? [r.row, r.code] : r));
}

describe('readNdjsonRows', () => {
  it('reads one value per line, LF or CRLF, skipping blank lines; row = line', async () => {
    const out = await all(readNdjsonRows(bytes('{"a":1}\r\n\n{"a"', ':2}\n  \n{"a":3}')));
    expect(summary(out)).toEqual([
      [1, { a: 1 }],
      [3, { a: 2 }],
      [5, { a: 3 }],
    ]);
  });

  it('reports a line that is not JSON or not UTF-8 and goes on', async () => {
    const out = await all(
      readNdjsonRows(bytes('{"a":1}\n{oops\n', Buffer.from([0x22, 0xff, 0x22, 0x0a]), '{"a":4}\n')),
    );
    expect(summary(out)).toEqual([
      [1, { a: 1 }],
      [2, 'invalid_json'],
      [3, 'invalid_utf8'],
      [4, { a: 4 }],
    ]);
  });
});

describe('readJsonArrayRows', () => {
  it('streams the elements of an array, split anywhere across chunks', async () => {
    const text = '[ {"a": "x,]}"}, {"b": [1, {"c": "\\"]"}]},\n 3, "s" ]\n';
    for (let cut = 1; cut < text.length; cut += 3) {
      const out = await all(readJsonArrayRows(bytes(text.slice(0, cut), text.slice(cut)), 'f.json'));
      expect(summary(out)).toEqual([
        [1, { a: 'x,]}' }],
        [2, { b: [1, { c: '"]' }] }],
        [3, 3],
        [4, 's'],
      ]);
    }
  });

  it('reads an empty array as no rows', async () => {
    expect(await all(readJsonArrayRows(bytes(' [ ] '), 'f.json'))).toEqual([]);
  });

  it('reports bad elements, empty ones and a truncated array as rows', async () => {
    const out = await all(readJsonArrayRows(bytes('[{"a":1}, {bad}, , {"a":4}, {"a":'), 'f.json'));
    expect(summary(out)).toEqual([
      [1, { a: 1 }],
      [2, 'invalid_json'],
      [3, 'invalid_json'],
      [4, { a: 4 }],
      [5, 'unclosed_array'],
    ]);
    expect(summary(await all(readJsonArrayRows(bytes('[1,]'), 'f.json')))).toEqual([
      [1, 1],
      [2, 'invalid_json'],
    ]);
  });

  it('refuses a file that is not an array', async () => {
    await expect(all(readJsonArrayRows(bytes('{"type":"track"}'), 'f.json'))).rejects.toThrow(
      /f.json is not a JSON array/,
    );
  });
});
