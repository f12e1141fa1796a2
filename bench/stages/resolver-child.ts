// The identity resolver in a process of its own, as a deployment runs it (the privacy bench measures
// a neighbour tenant's throughput through it while deletes run in the bench process: sharing the
// bench's event loop would charge the privacy service's JavaScript to the resolver).
// argv[2]: JSON of ResolverChildSpec. Prints `ready` once started; answers each `cpu` line on stdin
// with the process's CPU time as JSON (`{"userUs":..,"systemUs":..}`); stops on SIGTERM.
import { loadConfig } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import { tenantDirectory, type TenantsFile } from '../../services/common/tenants';
import type { ResolverTopics } from '../../services/identity-resolver/resolver-handler';
import { startIdentityResolver } from '../../services/identity-resolver/main';

export interface ResolverChildSpec {
  input: string;
  dlq: string;
  outputs: ResolverTopics;
  groupId: string;
  /** A tenants file's contents (the directory itself holds maps). */
  tenants: TenantsFile;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ResolverChildSpec;
  const resolver = await startIdentityResolver(loadConfig(), createLogger('bench-resolver', 'fatal'), {
    ...spec,
    tenants: tenantDirectory(spec.tenants),
  });
  process.on('SIGTERM', () => {
    void resolver.stop().finally(() => process.exit(0));
  });
  let buffered = '';
  process.stdin.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line === 'cpu') {
        const { user, system } = process.cpuUsage();
        process.stdout.write(`${JSON.stringify({ userUs: user, systemUs: system })}\n`);
      }
    }
  });
  process.stdout.write('ready\n');
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench resolver child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
