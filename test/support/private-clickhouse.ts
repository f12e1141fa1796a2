// A ClickHouse server owned by one test (the local stack's own script, with its own CDP_HOME and
// ports), so the test can stop and start it without disturbing anything else that uses the shared
// stack.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './avro-schemas';

const run = promisify(execFile);

// Ports below Linux's ephemeral range (32768+), so an outgoing connection of another test cannot
// take the port between this check and the server binding it.
async function freePort(): Promise<number> {
  for (;;) {
    const candidate = 20000 + Math.floor(Math.random() * 10000);
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer();
      server.once('error', () => resolve(false));
      server.listen(candidate, '127.0.0.1', () => server.close(() => resolve(true)));
    });
    if (free) return candidate;
  }
}

export interface PrivateClickHouse {
  /** HTTP interface, for CDP_CLICKHOUSE_URL. */
  url: string;
  start(): Promise<void>;
  /** Graceful stop (SIGTERM, SIGKILL after the stack's timeout), as an operator would do. */
  stop(): Promise<void>;
  /** Stops and removes the data. */
  destroy(): Promise<void>;
}

export async function createPrivateClickHouse(): Promise<PrivateClickHouse> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'cdp-test-clickhouse-'));
  const httpPort = await freePort();
  let tcpPort = await freePort();
  while (tcpPort === httpPort) tcpPort = await freePort();
  const script = path.join(repoRoot, 'infra', 'local', 'stack.sh');
  const env = {
    ...process.env,
    CDP_HOME: home,
    CDP_LOCAL_CLICKHOUSE_HTTP_PORT: String(httpPort),
    CDP_LOCAL_CLICKHOUSE_TCP_PORT: String(tcpPort),
  };

  async function stack(action: 'up' | 'down'): Promise<void> {
    try {
      await run('bash', [script, action, 'clickhouse'], { env, timeout: 120_000 });
    } catch (err) {
      const e = err as {
        stderr?: string;
        stdout?: string;
        code?: number | string;
        signal?: string;
        message: string;
      };
      // The home folder (and its log) is removed by destroy(), so the log's end goes into the error.
      const log = path.join(home, 'logs', 'clickhouse.log');
      const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-20).join('\n') : '(no log)';
      throw new Error(
        `private clickhouse: stack.sh ${action} failed (exit ${e.code ?? '?'}${e.signal ? `, ${e.signal}` : ''}): ${
          [e.stderr, e.stdout]
            .map((x) => x?.trim())
            .filter(Boolean)
            .join(' | ') || e.message
        }\n${tail}`,
      );
    }
  }

  async function ready(): Promise<void> {
    // The port accepts before the server answers queries; wait for a real SELECT 1.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const res = await fetch(`http://127.0.0.1:${httpPort}/?query=SELECT%201`);
        if (res.ok && (await res.text()).trim() === '1') return;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`private clickhouse did not answer SELECT 1 in 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const stop = () => stack('down');
  return {
    url: `http://127.0.0.1:${httpPort}`,
    start: async () => {
      // One retry: on a loaded two-core machine a first start occasionally loses a race for its port.
      await stack('up').catch(async (first: Error) => {
        process.stderr.write(`${first.message}\nretrying once\n`);
        await new Promise((r) => setTimeout(r, 2000));
        await stack('up');
      });
      await ready();
    },
    stop,
    destroy: async () => {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
