// `cdp up`, `cdp down`, `cdp status`: the local stack, with real health checks.
import path from 'node:path';
import type { Config } from '../../common/config';
import { waitHealthy, checkHealth } from '../stack/health-checks';
import { runStackScript } from '../stack/stack-script';
import { isLocal, stackScriptEnv, stackServices, type StackService } from '../stack/stack-services';

function line(service: StackService, state: string, note = ''): string {
  return `${service.name.padEnd(16)} ${state.padEnd(5)} ${service.address}${note ? `  ${note}` : ''}`;
}

function logFile(config: Config, service: StackService): string {
  return path.relative(process.cwd(), path.join(config.CDP_HOME, 'logs', `${service.name}.log`)) || '.';
}

// stack.sh names its own port variables; through cdp the ports follow the service addresses.
const ADDRESS_VARIABLES =
  'CDP_KAFKA_BROKERS, CDP_SCHEMA_REGISTRY_URL, CDP_REDIS_URL, CDP_CLICKHOUSE_URL ' +
  '(extra ports: CDP_LOCAL_KAFKA_CONTROLLER_PORT, CDP_LOCAL_CLICKHOUSE_TCP_PORT)';

/** What `cdp up` adds to stack.sh's own message for the exit codes it documents. */
export function stackFailureAdvice(code: number): string | undefined {
  switch (code) {
    case 3:
      return `cdp up: to move a local service, change its address: ${ADDRESS_VARIABLES}`;
    case 5:
      return (
        'cdp up: a local service already runs on other ports than its address now names. Either set the ' +
        'address back to the port it runs on, or move it: `cdp down`, then `cdp up` with the new address ' +
        `(data is kept). Addresses: ${ADDRESS_VARIABLES}`
      );
    default:
      return undefined;
  }
}

export async function up(config: Config): Promise<number> {
  const services = stackServices(config);
  const local = services.filter(isLocal);
  if (local.length > 0) {
    const result = await runStackScript(
      ['up', ...local.map((s) => s.name)],
      stackScriptEnv(config, services),
      false,
    );
    if (result.code !== 0) {
      process.stderr.write(
        `cdp up: the local stack did not start (exit ${result.code}); see the lines above\n`,
      );
      const advice = stackFailureAdvice(result.code);
      if (advice !== undefined) process.stderr.write(`${advice}\n`);
      return 1;
    }
  }
  let failed = 0;
  for (const service of services) {
    const error = await waitHealthy(service.name, config, 120_000);
    if (error === undefined) {
      console.log(line(service, 'up', isLocal(service) ? `log ${logFile(config, service)}` : '(external)'));
    } else {
      failed++;
      console.log(line(service, 'DOWN'));
      process.stderr.write(
        `cdp up: ${service.name} at ${service.address} failed its health check: ${error}` +
          (isLocal(service) ? `; see ${logFile(config, service)}\n` : `; check ${service.envVar}\n`),
      );
    }
  }
  return failed === 0 ? 0 : 1;
}

export async function down(config: Config): Promise<number> {
  const services = stackServices(config);
  const local = services.filter(isLocal);
  if (local.length === 0) {
    console.log('nothing to stop: every service is external');
    return 0;
  }
  const result = await runStackScript(
    ['down', ...local.map((s) => s.name).reverse()],
    stackScriptEnv(config, services),
    true,
  );
  return result.code;
}

export async function status(config: Config): Promise<number> {
  let down = 0;
  for (const service of stackServices(config)) {
    try {
      await checkHealth(service.name, config, 15_000);
      console.log(line(service, 'up', isLocal(service) ? '' : '(external)'));
    } catch (err) {
      down++;
      console.log(line(service, 'down', err instanceof Error ? `(${err.message})` : ''));
    }
  }
  return down === 0 ? 0 : 3;
}
