// `cdp run <service>|all`: hosts services in this process until SIGTERM/SIGINT.
import type { Config } from '../../common/config';
import { runServices } from '../../common/runtime/run-services';
import { SERVICE_LOADERS, serviceNames } from '../service-registry';

const ALL_OPS_PORT = 9100;

export async function runCommand(config: Config, name: string): Promise<number> {
  const known = serviceNames();
  const names = name === 'all' ? known : [name];
  const unknown = names.filter((n) => !(n in SERVICE_LOADERS));
  if (unknown.length > 0 || names.length === 0) {
    process.stderr.write(
      `cdp run: unknown service '${name}'; known: ${known.length > 0 ? [...known, 'all'].join(', ') : '(none yet)'}\n`,
    );
    return 2;
  }
  const definitions = await Promise.all(
    names.map((n) => (SERVICE_LOADERS[n] as () => ReturnType<(typeof SERVICE_LOADERS)[string]>)()),
  );
  const opsPort =
    config.CDP_OPS_PORT ?? (definitions.length === 1 ? definitions[0]!.defaultOpsPort : ALL_OPS_PORT);
  await runServices(definitions, config, opsPort);
  // Keep running: the services own the event loop until a signal stops them.
  return new Promise<number>(() => undefined);
}
