// The HTTP edge: Segment's tracking API (/v1/identify ... /v1/batch, /v1/import) on fastify.
// Routes only translate HTTP to the pure steps (write key, split, normalize) and back.
import { randomUUID } from 'node:crypto';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { EventIssue } from '../common/events/event-issues';
import type { CdpEvent, EventType } from '../common/events/event-model';
import type { Logger } from '../common/logger';
import type { TenantDirectory } from '../common/tenants';
import {
  collectorEventsAccepted,
  collectorEventsRejected,
  collectorEventsSuppressed,
  collectorProduceSeconds,
  collectorRequests,
} from './collector-metrics';
import { QueueFullError } from './coalesced-sender';
import { DecompressedTooLargeError, UnsupportedEncodingError, decompressedPayload } from './decompress-body';
import { readTrackingBody } from './read-body';
import type { SizeLimits } from './size-limits';
import { splitBatch, splitSingle, type RequestContext, type SplitOutcome } from './split-batch';
import { writeKeyOf } from './write-key';

export interface CollectorOptions {
  tenants: TenantDirectory;
  /** Writes events durably; rejects when they may not have been written. */
  publish: (events: CdpEvent[]) => Promise<unknown>;
  limits: SizeLimits;
  retryAfterSeconds: number;
  logger: Logger;
  now?: () => number;
  newMessageId?: () => string;
  /**
   * Privacy suppression (common/privacy/event-identifiers.ts): the events to keep. Suppressed events
   * are dropped before Kafka and counted, and the request is still answered 200: SDKs retry
   * anything else, and the answer must not reveal that someone is suppressed.
   */
  dropSuppressed?: (tenant: string, events: CdpEvent[]) => Promise<{ kept: CdpEvent[]; dropped: number }>;
}

const SINGLE_ROUTES: Record<string, EventType> = {
  '/v1/identify': 'identify',
  '/v1/track': 'track',
  '/v1/page': 'page',
  '/v1/screen': 'screen',
  '/v1/group': 'group',
  '/v1/alias': 'alias',
};
const BATCH_ROUTES = ['/v1/batch', '/v1/import'];

/** The body is not one we read (not JSON, nested too deep): 400 with the reason. */
class RequestBodyError extends Error {
  override name = 'RequestBodyError';
  readonly statusCode = 400;
  constructor(
    message: string,
    readonly issues: EventIssue[] | undefined,
  ) {
    super(message);
  }
}

function reject(reply: FastifyReply, status: number, error: string, extra: Record<string, unknown> = {}) {
  return reply.code(status).send({ success: false, error, ...extra });
}

export async function buildCollectorApp(options: CollectorOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const newMessageId = options.newMessageId ?? randomUUID;
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    // Per-request log lines would dominate the cost of a tracking call; metrics count requests.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.limits.maxBatchBytes,
    routerOptions: { ignoreTrailingSlash: true },
  });

  // Every body is JSON whatever its Content-Type says (see read-body.ts): one parser for all.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, text, done) => {
    const outcome = readTrackingBody(text as string);
    if (outcome.ok) done(null, outcome.body);
    else done(new RequestBodyError(outcome.error, outcome.issues), undefined);
  });

  app.addHook('onRequest', async (request, reply) => {
    reply.header('access-control-allow-origin', request.headers.origin ?? '*');
    reply.header('vary', 'Origin');
  });
  app.addHook('preParsing', async (request, _reply, payload) =>
    decompressedPayload(
      payload,
      request.headers['content-encoding'],
      request.routeOptions.bodyLimit ?? options.limits.maxBatchBytes,
    ),
  );
  app.addHook('onResponse', async (request, reply) => {
    collectorRequests.inc({ route: request.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof RequestBodyError) {
      if (error.issues !== undefined) {
        collectorEventsRejected.inc({ reason: error.issues[0]?.reason ?? 'invalid_field' });
        return reject(reply, 400, error.message, { issues: error.issues });
      }
      return reject(reply, 400, error.message);
    }
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || error instanceof DecompressedTooLargeError) {
      const limit = request.routeOptions.bodyLimit ?? options.limits.maxBatchBytes;
      return reject(reply, 413, `request body exceeds ${limit} bytes`);
    }
    if (error instanceof UnsupportedEncodingError) return reject(reply, 415, error.message);
    if (error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reject(reply, 415, 'send application/json');
    if (error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500) {
      // Malformed JSON, bad gzip, Content-Length mismatch: the client's request, not our fault.
      return reject(reply, 400, `unreadable request body: ${error.message}`);
    }
    request.log.error({ err: error }, 'collector request failed');
    return reject(reply, 500, 'internal error');
  });

  app.options('/v1/*', async (_request, reply) =>
    reply
      .code(204)
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'authorization, content-type, content-encoding')
      .header('access-control-max-age', '86400')
      .send(),
  );

  async function handle(
    request: FastifyRequest,
    reply: FastifyReply,
    split: (req: RequestContext) => SplitOutcome,
  ) {
    const writeKey = writeKeyOf(request.headers.authorization, request.body);
    if (writeKey === undefined)
      return reject(reply, 401, 'missing write key: use HTTP Basic auth with the write key as user');
    const tenant = options.tenants.byWriteKey(writeKey);
    if (tenant === undefined) return reject(reply, 401, 'invalid write key');

    const outcome = split({ tenant: tenant.id, receivedAt: now(), limits: options.limits, newMessageId });
    if (outcome.kind === 'invalid-body') {
      collectorEventsRejected.inc({ reason: outcome.issues[0]?.reason ?? 'invalid_field' });
      return reject(reply, 400, 'invalid request body', { issues: outcome.issues });
    }
    const { rejected } = outcome;
    let { accepted } = outcome;
    if (accepted.length > 0 && options.dropSuppressed !== undefined) {
      let filtered: { kept: CdpEvent[]; dropped: number };
      try {
        filtered = await options.dropSuppressed(tenant.id, accepted);
      } catch (err) {
        // Without the list a suppressed person's events could get in: refuse now, the SDK retries.
        request.log.warn({ err, tenant: tenant.id }, 'suppression list unavailable; answering 503');
        reply.header('retry-after', String(options.retryAfterSeconds));
        return reject(reply, 503, 'suppression list unavailable; retry later');
      }
      if (filtered.dropped > 0) collectorEventsSuppressed.inc({ tenant: tenant.id }, filtered.dropped);
      accepted = filtered.kept;
    }
    if (accepted.length > 0) {
      const stop = collectorProduceSeconds.startTimer();
      try {
        await options.publish(accepted);
        stop({ outcome: 'ok' });
      } catch (err) {
        stop({ outcome: 'error' });
        reply.header('retry-after', String(options.retryAfterSeconds));
        if (err instanceof QueueFullError) {
          // Kafka is slower than the requests arrive; refusing now bounds the collector's memory.
          collectorEventsRejected.inc({ reason: 'queue_full' }, accepted.length);
          return reject(reply, 503, 'collector queue full; retry later');
        }
        collectorEventsRejected.inc({ reason: 'kafka_unavailable' }, accepted.length);
        request.log.warn(
          { err, events: accepted.length, tenant: tenant.id },
          'events not written; answering 503',
        );
        return reject(reply, 503, 'event storage unavailable; retry later');
      }
      for (const e of accepted) collectorEventsAccepted.inc({ tenant: tenant.id, type: e.type });
    }
    for (const r of rejected) collectorEventsRejected.inc({ reason: r.issues[0]?.reason ?? 'invalid_field' });
    if (rejected.length > 0) {
      // The valid events are written; the client learns exactly which ones were not.
      return reject(
        reply,
        400,
        `${rejected.length} of ${rejected.length + accepted.length} events rejected`,
        {
          accepted: accepted.length,
          rejected,
        },
      );
    }
    return reply.code(200).send({ success: true });
  }

  for (const [url, type] of Object.entries(SINGLE_ROUTES)) {
    app.post(url, { bodyLimit: options.limits.maxEventBytes }, (request, reply) =>
      handle(request, reply, (req) => splitSingle(request.body, type, req)),
    );
  }
  for (const url of BATCH_ROUTES) {
    app.post(url, { bodyLimit: options.limits.maxBatchBytes }, (request, reply) =>
      handle(request, reply, (req) => splitBatch(request.body, req)),
    );
  }
  return app;
}
