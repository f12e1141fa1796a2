// A webhook receiver in a process of its own, for the activation tests and bench.
// It follows a script of misbehaviour by request number (answer 500, hang without answering,
// close the connection), then answers 200. Like a Standard Webhooks receiver it accepts each
// webhook-id once (a repeat is answered 200 and logged as a duplicate). `POST /_mode` switches to
// `ok`, `500`, `410`, `hang` or `close` at any time; `GET /_log` returns every request it answered;
// `GET /_count` the accepted requests and the calls in them (a batch body counts its calls).
// Prints one line `{"port": N}` once it listens.
import http from 'node:http';

export type ReceiverMode = 'ok' | '500' | '410' | 'hang' | 'close';

export interface ReceiverScript {
  /** Modes of the first requests, one per request, then `after`. */
  first?: ReceiverMode[];
  after?: ReceiverMode;
  port?: number;
  /** Milliseconds before each answer (a slow receiver). */
  delayMs?: number;
  /** Answer 500 to every request whose body contains this text (one failing profile); `POST /_fail` changes it. */
  failWhenBodyContains?: string | null;
}

export interface ReceivedRequest {
  path: string;
  authorization: string;
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** Epoch ms of arrival. */
  at: number;
  answer: number;
  duplicate: boolean;
}

const script = JSON.parse(process.argv[2] ?? '{}') as ReceiverScript;
const first = [...(script.first ?? [])];
let mode: ReceiverMode = script.after ?? 'ok';
let failWhen: string | null = script.failWhenBodyContains ?? null;
const accepted = new Set<string>();
let acceptedCalls = 0;
const log: ReceivedRequest[] = [];
const hanging = new Set<http.ServerResponse>();

function callsIn(body: string): number {
  try {
    const parsed = JSON.parse(body) as { batch?: unknown[] };
    return Array.isArray(parsed.batch) ? parsed.batch.length : 1;
  } catch {
    return 1;
  }
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on(
    'end',
    () =>
      void setTimeout(
        () => answer(req, res, Buffer.concat(chunks).toString('utf8')),
        req.url?.startsWith('/_') ? 0 : (script.delayMs ?? 0),
      ),
  );
});

function answer(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
  {
    if (req.url === '/_log') return void res.end(JSON.stringify(log));
    if (req.url === '/_count')
      return void res.end(JSON.stringify({ requests: accepted.size, calls: acceptedCalls }));
    if (req.url === '/_mode') {
      mode = (JSON.parse(body) as { mode: ReceiverMode }).mode;
      for (const r of hanging) r.destroy();
      hanging.clear();
      return void res.end('{}');
    }
    if (req.url === '/_fail') {
      failWhen = (JSON.parse(body) as { text: string | null }).text;
      return void res.end('{}');
    }
    const scripted = first.length > 0 ? first.shift()! : mode;
    const now: ReceiverMode = failWhen !== null && body.includes(failWhen) ? '500' : scripted;
    if (now === 'hang') {
      hanging.add(res);
      res.on('close', () => hanging.delete(res));
      return;
    }
    if (now === 'close') return void req.socket.destroy();
    const id = String(req.headers['webhook-id'] ?? '');
    const entry: ReceivedRequest = {
      path: req.url ?? '',
      authorization: String(req.headers.authorization ?? ''),
      id,
      timestamp: String(req.headers['webhook-timestamp'] ?? ''),
      signature: String(req.headers['webhook-signature'] ?? ''),
      body,
      at: Date.now(),
      answer: now === '500' ? 500 : now === '410' ? 410 : 200,
      duplicate: false,
    };
    if (entry.answer === 200) {
      entry.duplicate = accepted.has(id);
      if (!entry.duplicate) acceptedCalls += callsIn(body);
      accepted.add(id);
    }
    log.push(entry);
    res.statusCode = entry.answer;
    res.end(
      entry.answer === 200
        ? '{"ok":true}'
        : entry.answer === 410
          ? '{"error":"gone"}'
          : '{"error":"unavailable"}',
    );
  }
}

server.keepAliveTimeout = 1000;
server.listen(script.port ?? 0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(
    `${JSON.stringify({ port: typeof address === 'object' && address !== null ? address.port : 0 })}\n`,
  );
});
