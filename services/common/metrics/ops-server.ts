// /metrics (Prometheus) and /healthz for a service process, on a small node:http server.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { registry } from './registry';

export type HealthCheck = () => Promise<{ ok: boolean; detail?: Record<string, unknown> }>;

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

export async function startOpsServer(host: string, port: number, health: HealthCheck): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry
        .metrics()
        .then((body) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(body);
        })
        .catch((err: unknown) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err));
        });
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      health()
        .then((result) => {
          res.writeHead(result.ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: result.ok ? 'ok' : 'unhealthy', ...result.detail }));
        })
        .catch((err: unknown) => {
          res.writeHead(503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'unhealthy', error: String(err) }));
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics or /healthz\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE'
          ? new Error(`ops server: port ${port} on ${host} is taken; set CDP_OPS_PORT to another port`)
          : err,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
