// Hosts one or more services in this process: ops endpoints, signal handling, drain on shutdown.
import { loadConfig, type Config } from '../config';
import { createLogger } from '../logger';
import { startOpsServer } from '../metrics/ops-server';
import type { HealthReport, RunningService, ServiceDefinition } from './service-definition';
import { StartupCheckError } from './startup-checks';

export async function runServices(
  definitions: ServiceDefinition[],
  config: Config,
  opsPort: number,
): Promise<void> {
  const logger = createLogger(
    definitions.length === 1 ? (definitions[0] as ServiceDefinition).name : 'cdp',
    config.CDP_LOG_LEVEL,
  );
  const running: { name: string; service: RunningService }[] = [];
  let stopping = false;

  const stopAll = async (reason: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'stopping: draining in-flight work');
    const timer = setTimeout(() => {
      logger.error(
        { timeoutMs: config.CDP_SHUTDOWN_TIMEOUT_MS },
        'drain timed out; exiting without a clean stop',
      );
      process.exit(1);
    }, config.CDP_SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    // Reverse start order: consumers stop before the producers they feed.
    for (const { name, service } of [...running].reverse()) {
      try {
        await service.stop();
        logger.info({ service: name }, 'stopped');
      } catch (err) {
        logger.error({ service: name, err }, 'stop failed');
      }
    }
    await ops.close();
    clearTimeout(timer);
  };

  const ops = await startOpsServer(config.CDP_OPS_HOST, opsPort, async () => {
    const reports = await Promise.all(
      running.map(async (r): Promise<[string, HealthReport]> => {
        const report = r.service.health ? r.service.health() : r.service.healthy().then((ok) => ({ ok }));
        return [
          r.name,
          await report.catch((err: unknown) => ({ ok: false, detail: { error: String(err) } })),
        ];
      }),
    );
    return {
      ok: !stopping && reports.every(([, r]) => r.ok),
      detail: { services: Object.fromEntries(reports.map(([name, r]) => [name, { ok: r.ok, ...r.detail }])) },
    };
  });
  logger.info(
    { url: `http://${config.CDP_OPS_HOST}:${ops.port}/metrics` },
    'ops endpoints up (/metrics, /healthz)',
  );

  process.once('SIGTERM', () => void stopAll('SIGTERM').then(() => process.exit(0)));
  process.once('SIGINT', () => void stopAll('SIGINT').then(() => process.exit(0)));

  for (const def of definitions) {
    try {
      running.push({ name: def.name, service: await def.start(config, logger.child({ service: def.name })) });
      logger.info({ service: def.name }, 'started');
    } catch (err) {
      // A missing topic or migration is a one-line operator fix, printed by the caller; no stack.
      if (err instanceof StartupCheckError) logger.error({ service: def.name }, err.message);
      else logger.error({ service: def.name, err }, 'failed to start');
      await stopAll(`${def.name} failed to start`);
      throw err;
    }
  }
}

/** Entry point when a service file is run directly (`node dist/services/<service>/main.js`). */
export function runAsMain(definition: ServiceDefinition): void {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${definition.name}: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  }
  runServices([definition], config, config.CDP_OPS_PORT ?? definition.defaultOpsPort).catch(
    (err: unknown) => {
      process.stderr.write(`${definition.name}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
