// The demo's local webhook receiver, shared by its activation and journey parts: it verifies each
// request's Standard Webhooks signature (answering 401 to a forged one) and keeps what arrived.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** The secret of every demo webhook destination (the receiver verifies with it). */
export const DEMO_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

export interface Arrival {
  id: string;
  verified: boolean;
  call: {
    type: string;
    event?: string;
    userId: string | null;
    traits?: unknown;
    properties?: Record<string, unknown>;
    context?: { cdp?: { destination_id?: string } };
  };
}

export interface DemoReceiver {
  url: string;
  arrivals: Arrival[];
  /** The arrivals delivered for one destination. */
  of(destinationId: string): Arrival[];
  close(): Promise<void>;
}

export function startDemoReceiver(): Promise<DemoReceiver> {
  const arrivals: Arrival[] = [];
  const webhook = new Webhook(DEMO_WEBHOOK_SECRET);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let verified = true;
      try {
        webhook.verify(body, req.headers as Record<string, string>);
      } catch {
        verified = false;
      }
      arrivals.push({
        id: String(req.headers['webhook-id']),
        verified,
        call: JSON.parse(body) as Arrival['call'],
      });
      res.statusCode = verified ? 200 : 401;
      res.end();
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/cdp`,
        arrivals,
        of: (destinationId) => arrivals.filter((a) => a.call.context?.cdp?.destination_id === destinationId),
        close: () => new Promise((done) => server.close(() => done())),
      }),
    ),
  );
}
