// How every `cdp` command runs: config loaded once (a bad value exits 2 naming it), the command's
// exit code passed on, an error printed as one line and exit 1.
import { ConfigError, loadConfig, type Config } from '../common/config';

export function action(run: (config: Config, ...args: string[]) => Promise<number> | number) {
  return async (...args: unknown[]) => {
    let config: Config;
    try {
      config = loadConfig();
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(`cdp: ${err.message}\n`);
        process.exit(2);
      }
      throw err;
    }
    try {
      const code = await run(config, ...args.filter((a): a is string => typeof a === 'string'));
      process.exit(code);
    } catch (err) {
      process.stderr.write(`cdp: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    }
  };
}
