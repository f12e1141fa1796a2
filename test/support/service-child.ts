// A service in a process of its own, for the kill -9 tests: one of the `*-child.ts` scripts here,
// started with its settings as one JSON argument. `ready` resolves when the child prints its ready
// line ("member" once its consumer holds partitions); it rejects, with the child's last stderr,
// when the child exits first.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface ServiceChild {
  process: ChildProcess;
  ready: Promise<void>;
  exited: Promise<number | null>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (the service's own stop), then waits for the exit. */
  stop(): Promise<void>;
}

export function startServiceChild(
  script: string,
  settings: unknown,
  options: { readyLine?: string; logLevel?: string } = {},
): ServiceChild {
  const readyLine = `${options.readyLine ?? 'member'}\n`;
  // tsx as a loader, not its CLI: a SIGKILL of the CLI would leave the grandchild running.
  const proc = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(__dirname, script), JSON.stringify(settings)],
    {
      cwd: path.resolve(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CDP_LOG_LEVEL: options.logLevel ?? process.env.CDP_LOG_LEVEL ?? 'fatal' },
    },
  );
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(readyLine)) resolve();
    });
    void exited.then((code) =>
      reject(new Error(`${script} exited (${String(code)}) before it was ready: ${stderr}`)),
    );
  });
  ready.catch(() => undefined);
  const running = () => proc.exitCode === null && proc.signalCode === null;
  return {
    process: proc,
    ready,
    exited,
    kill: async () => {
      if (running()) proc.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (running()) proc.kill('SIGTERM');
      await exited;
    },
  };
}
