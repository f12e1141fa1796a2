// A ClickHouse server owned by one test (the local stack's own script, with its own CDP_HOME and
// ports), so the test can stop and start it without disturbing anything else that uses the shared
// stack.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './avro-schemas';

const run = promisify(execFile);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
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
      const e = err as { stderr?: string; message: string };
      throw new Error(
        `private clickhouse: stack.sh ${action} failed: ${e.stderr?.trim() || e.message}; see ${path.join(home, 'logs', 'clickhouse.log')}`,
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
      await stack('up');
      await ready();
    },
    stop,
    destroy: async () => {
      await stop();
      rmSync(home, { recursive: true, force: true });
    },
  };
}
