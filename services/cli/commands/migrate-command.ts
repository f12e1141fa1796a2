// `cdp migrate`: applies infra/clickhouse migrations to CDP_CLICKHOUSE_DATABASE.
import type { Config } from '../../common/config';
import { createClickHouse, serverVersion } from '../../common/clickhouse/clickhouse-client';
import { loadMigrations, migrate } from '../../common/clickhouse/migrator';

export async function migrateCommand(config: Config): Promise<number> {
  const client = createClickHouse(config);
  try {
    const migrations = loadMigrations();
    console.log(
      `clickhouse ${await serverVersion(client)}: ${migrations.length} migration(s) for database ${config.CDP_CLICKHOUSE_DATABASE}`,
    );
    const results = await migrate(client, config.CDP_CLICKHOUSE_DATABASE, migrations, (l) => console.log(l));
    const applied = results.filter((r) => r.status === 'applied').length;
    console.log(`migrations: ${applied} applied, ${results.length - applied} already applied or skipped`);
    return 0;
  } finally {
    await client.close();
  }
}
