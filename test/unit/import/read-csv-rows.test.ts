import { Readable } from 'node:stream';
import { readCsvRows } from '../../../services/import/read-csv-rows';
import { stripBom } from '../../../services/import/import-file';
import type { SourceRow } from '../../../services/import/source-row';

async function rows(...chunks: (string | Buffer)[]): Promise<SourceRow[]> {
  const bytes = Readable.from(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c))).pipe(
    stripBom(),
  );
  const out: SourceRow[] = [];
  for await (const r of readCsvRows(bytes)) out.push(r);
  return out;
}

function cells(list: SourceRow[]): unknown[] {
  return list.map((r) =>
    r.kind === 'cells' || r.kind === 'header' ? r.cells : r.kind === 'error' ? r.code : r,
  );
}

describe('readCsvRows', () => {
  it('reads quoted fields with delimiters, doubled quotes and embedded newlines', async () => {
    const out = await rows('a,b,c\n1,"x, y","say ""hi"""\n2,"line one\nline two",z\n');
    expect(cells(out)).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
      ['2', 'line one\nline two', 'z'],
    ]);
    // Spreadsheet rows: the header is row 1; a row's line is where it starts.
    expect(out.slice(1).map((r) => r.kind !== 'header' && [r.row, r.line])).toEqual([
      [2, 2],
      [3, 3],
    ]);
  });

  it('reads CRLF and CR-only line ends', async () => {
    expect(cells(await rows('a,b\r\n1,2\r\n3,"x\r\ny"\r\n'))).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', 'x\r\ny'],
    ]);
    expect(cells(await rows('a,b\r1,2\r3,4'))).toEqual([
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ]);
  });

  it('drops a UTF-8 BOM, even split over chunks', async () => {
    expect(
      cells(await rows(Buffer.from([0xef, 0xbb]), Buffer.from([0xbf]), 'email\nann@example.com\n')),
    ).toEqual([['email'], ['ann@example.com']]);
  });

  it('keeps empty cells as empty strings and skips blank lines', async () => {
    expect(cells(await rows('a,b,c\n1,,3\n\n,,\n'))).toEqual([
      ['a', 'b', 'c'],
      ['1', '', '3'],
      ['', '', ''],
    ]);
  });

  it('passes rows with another column count on (the mapping rejects them)', async () => {
    expect(cells(await rows('a,b\n1\n1,2,3\n'))).toEqual([['a', 'b'], ['1'], ['1', '2', '3']]);
  });

  it('decodes UTF-8 and turns a row with other bytes into an error naming the column, bytes kept', async () => {
    const latin1Row = Buffer.from([0x32, 0x2c, 0x4d, 0xfc, 0x6c, 0x6c, 0x65, 0x72, 0x0a]); // 2,Müller in latin1
    const out = await rows('id,name\n1,Müller\n', latin1Row, '3,Zoë\n');
    expect(out[1]).toMatchObject({ kind: 'cells', cells: ['1', 'Müller'] });
    expect(out[2]).toMatchObject({
      kind: 'error',
      row: 3,
      line: 3,
      column: 'name',
      code: 'invalid_utf8',
      rawBase64: latin1Row.subarray(0, -1).toString('base64'),
    });
    expect(out[3]).toMatchObject({ kind: 'cells', row: 4, cells: ['3', 'Zoë'] });
  });

  it('keeps a stray quote as written and reads the rows after it', async () => {
    expect(cells(await rows('a,b\n8,"bad"x\n10,11\n'))).toEqual([
      ['a', 'b'],
      ['8', '"bad"x'],
      ['10', '11'],
    ]);
  });

  it('reports an unclosed quote as one row error holding the rest of the file', async () => {
    const out = await rows('a,b\n1,2\n3,"open\n4,5\n');
    expect(cells(out)).toEqual([['a', 'b'], ['1', '2'], 'unclosed_quote']);
    expect(out[2]).toMatchObject({ row: 3, line: 3, raw: '3,"open\n4,5' });
  });

  it('refuses a header that is not UTF-8', async () => {
    await expect(rows(Buffer.from([0x6e, 0xe4, 0x6d, 0x65, 0x0a]), '1\n')).rejects.toThrow(
      /header .* not UTF-8/,
    );
  });
});
