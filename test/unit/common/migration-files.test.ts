import {
  bindDatabase,
  parseMigration,
  sortMigrations,
} from '../../../services/common/clickhouse/migration-files';

describe('migration files', () => {
  it('splits statements at line-ending semicolons and drops comments', () => {
    const m = parseMigration(
      '0002_add_things.sql',
      '-- why\nCREATE TABLE a (x UInt8) ENGINE = Memory;\n\nCREATE TABLE b (y String) ENGINE = Memory;\n',
    );
    expect(m.version).toBe(2);
    expect(m.name).toBe('add_things');
    expect(m.statements).toEqual([
      'CREATE TABLE a (x UInt8) ENGINE = Memory',
      'CREATE TABLE b (y String) ENGINE = Memory',
    ]);
    expect(m.minServerVersion).toBeUndefined();
  });

  it('reads a minimum server version header', () => {
    expect(parseMigration('0003_x.sql', '-- @min-version 21.8\nSELECT 1;').minServerVersion).toBe('21.8');
  });

  it('rejects bad names, empty files and duplicate versions', () => {
    expect(() => parseMigration('create.sql', 'SELECT 1')).toThrow(/NNNN_snake_case/);
    expect(() => parseMigration('0001_empty.sql', '-- nothing\n')).toThrow(/no statements/);
    const a = parseMigration('0001_a.sql', 'SELECT 1');
    const b = parseMigration('0001_b.sql', 'SELECT 2');
    expect(() => sortMigrations([a, b])).toThrow(/share version 1/);
  });

  it('changes the checksum when the text changes', () => {
    expect(parseMigration('0001_a.sql', 'SELECT 1').checksum).not.toBe(
      parseMigration('0001_a.sql', 'SELECT 2').checksum,
    );
  });

  it('binds the database placeholder', () => {
    expect(bindDatabase('CREATE TABLE {db}.t', '`cdp`')).toBe('CREATE TABLE `cdp`.t');
  });
});
