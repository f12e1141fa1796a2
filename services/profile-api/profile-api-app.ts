// The HTTP edge of the profile API: auth, rate limit, the three read routes and the two privacy
// routes on fastify. Routes translate HTTP to the graph, ClickHouse reads and the privacy request
// topic and back; their zod schemas are the contract. Each route names the key kind it takes.
import fastifySwagger from '@fastify/swagger';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import type { ClickHouseClient } from '../common/clickhouse/clickhouse-client';
import type { RecordEncoder } from '../common/codec/avro-codec';
import type { MessageSender } from '../common/kafka/producer';
import type { LiveTenants } from '../common/live-tenants';
import type { Logger } from '../common/logger';
import { sha256Hex, type Tenant } from '../common/tenants';
import type { IdentityGraph } from '../identity-resolver/identity-graph';
import type { ProfileSnapshot } from '../identity-resolver/identity-outcome';
import { lookupProfile, type ProfileLookup } from '../identity-resolver/profile-lookup';
import { buildPrivacyRequest, publishPrivacyRequest } from '../privacy/privacy-request';
import { apiKeyOwner, bearerKey, type ApiKeyKind } from './api-keys';
import { readEventsPage, readMergedIds, readSegments } from './clickhouse-reads';
import { DEFAULT_EVENTS_WINDOW_SECONDS, decodeCursor } from './events-query';
import { consentOf } from '../identity-resolver/consent-operations';
import type { ProfileExtras } from './profile-extras';
import {
  errorResponses,
  eventsQuery,
  eventsResponse,
  profileIdParams,
  profileParams,
  profileQuery,
  privacyReceiptResponse,
  privacyRequestAccepted,
  privacyRequestBody,
  privacyRequestParams,
  privacyRequestPending,
  profileResponse,
  segmentsResponse,
  type ProfileField,
} from './profile-api-schemas';
import type { PrivacyRequestFollower } from './privacy-request-follower';
import { readAtLeast } from './read-at-least';
import { TokenBuckets } from './token-bucket';

export interface ProfileApiOptions {
  tenants: LiveTenants;
  graph: IdentityGraph;
  clickhouse: ClickHouseClient;
  database: string;
  extras: ProfileExtras;
  rateLimit: { perSecond: number; burst: number };
  privacy: {
    producer: MessageSender;
    codec: RecordEncoder;
    /** Knows every request of the look-back window and its receipt; its topics are the ones used. */
    follower: PrivacyRequestFollower;
  };
  /** How long ?min_version may wait (1 s) and how often it polls the graph meanwhile. */
  minVersionWaitMs?: number;
  minVersionPollMs?: number;
  logger: Logger;
  now?: () => number;
}

export const OPENAPI_PATH = '/openapi.json';

/** Route config: the key kind a route takes (read unless it says otherwise). */
declare module 'fastify' {
  interface FastifyContextConfig {
    keyKind?: ApiKeyKind;
  }
}

const WRONG_KIND: Record<ApiKeyKind, string> = {
  read: 'privacy keys cannot read profiles; use a read key (cdp keys create --read)',
  privacy: 'read keys cannot make privacy requests; use a privacy key (cdp keys create --privacy)',
};

interface Caller {
  tenant: Tenant;
  keyHash: string;
}

function fail(reply: FastifyReply, status: number, error: string, message: string) {
  return reply.code(status).send({ error, message });
}

export async function buildProfileApiApp(options: ProfileApiOptions): Promise<FastifyInstance> {
  const now = options.now ?? Date.now;
  const waitMs = options.minVersionWaitMs ?? 1000;
  const pollMs = options.minVersionPollMs ?? 10;
  const buckets = new TokenBuckets(options.rateLimit.perSecond, options.rateLimit.burst, now);
  // The tenant and key a request authenticated with, set by the auth hook before any /v1 handler runs.
  const callerOf = new WeakMap<FastifyRequest, Caller>();
  const loggerInstance: FastifyBaseLogger = options.logger;
  const app = Fastify({
    loggerInstance,
    // A lookup is cheap; a log line per request would cost more than it, and so would a child
    // logger per request (fastify's default): errors carry the request id themselves.
    logController: new LogController({ disableRequestLogging: true }),
    childLoggerFactory: (logger) => logger,
    routerOptions: { ignoreTrailingSlash: true },
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'CDP profile API',
        description:
          'Reads unified profiles, their events and segments (bearer read keys per tenant); takes ' +
          'privacy requests and answers their receipts (bearer privacy keys per tenant).',
        version: '1.0.0',
      },
      components: {
        securitySchemes: {
          readKey: { type: 'http', scheme: 'bearer' },
          privacyKey: { type: 'http', scheme: 'bearer' },
        },
      },
      security: [{ readKey: [] }],
    },
    transform: jsonSchemaTransform,
  });

  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (err.validation !== undefined) return fail(reply, 400, 'bad_request', err.message);
    if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500)
      return fail(reply, err.statusCode, 'bad_request', err.message);
    request.log.error({ err, reqId: request.id, url: request.url }, 'profile API request failed');
    return fail(reply, 500, 'internal', 'the request failed inside the profile API; see its log');
  });
  app.setNotFoundHandler((request, reply) =>
    fail(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`),
  );

  app.get(OPENAPI_PATH, { schema: { hide: true } }, () => app.swagger());

  await app.register((v1, _opts, done) => {
    v1.addHook('onRequest', async (request, reply) => {
      const needs = request.routeOptions.config.keyKind ?? 'read';
      const key = bearerKey(request.headers.authorization);
      if (key === undefined)
        return fail(reply, 401, 'unauthorized', `send a ${needs} key as Authorization: Bearer <key>`);
      const keyHash = sha256Hex(key);
      // An unknown key may have been created a moment ago: look at the tenants file before refusing.
      const owner =
        apiKeyOwner(options.tenants.current(), keyHash) ??
        apiKeyOwner(options.tenants.current(true), keyHash);
      if (owner === undefined)
        return fail(reply, 401, 'unauthorized', `unknown ${needs} key (write keys are not API keys)`);
      if (owner.kind !== needs) return fail(reply, 403, 'forbidden', WRONG_KIND[needs]);
      const rate = buckets.take(keyHash);
      if (!rate.allowed) {
        void reply.header('retry-after', String(rate.retryAfterSeconds));
        return fail(
          reply,
          429,
          'rate_limited',
          `too many requests for this key; retry in ${rate.retryAfterSeconds} s`,
        );
      }
      callerOf.set(request, { tenant: owner.tenant, keyHash });
      return undefined;
    });
    const routes = v1.withTypeProvider<ZodTypeProvider>();
    const callerFor = (request: FastifyRequest): Caller => {
      const caller = callerOf.get(request);
      if (caller === undefined) throw new Error('profile API: route reached without an authenticated tenant');
      return caller;
    };
    const tenantFor = (request: FastifyRequest): Tenant => callerFor(request).tenant;

    routes.get(
      '/v1/profiles/:identifier',
      {
        schema: {
          summary: 'The live profile holding an identifier',
          params: profileParams,
          querystring: profileQuery,
          response: { 200: profileResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const tenant = tenantFor(request);
        const first = await lookupProfile(options.graph, tenant, request.params.identifier);
        if (first.status === 'invalid') return fail(reply, 400, 'invalid_identifier', first.reason);
        // Later polls (only with ?min_version) read the same normalized identifier again.
        let pending: ProfileLookup | undefined = first;
        const read = async (): Promise<ProfileSnapshot | null> => {
          const found = pending ?? (await lookupProfile(options.graph, tenant, first.identifier));
          pending = undefined;
          return found.status === 'found' ? found.profile : null;
        };
        const { min_version: minVersion, fields } = request.query;
        const { value: profile, met } = await readAtLeast(read, minVersion, { waitMs, pollMs, now });
        if (profile === null)
          return fail(reply, 404, 'not_found', `no profile has ${first.identifier} in this tenant`);
        const wanted = new Set<ProfileField>(fields ?? []);
        const want = (f: ProfileField) => fields === undefined || wanted.has(f);
        const extras =
          want('computed') || want('segments')
            ? await options.extras.read(tenant.id, profile.profileId)
            : undefined;
        if (minVersion !== undefined) void reply.header('x-min-version-met', String(met));
        return {
          profile_id: profile.profileId,
          ...(want('identifiers') && { identifiers: profile.identifiers }),
          ...(want('traits') && { traits: profile.traits }),
          ...(want('computed') && { computed: extras?.computed ?? {} }),
          ...(want('segments') && { segments: extras?.segments ?? [] }),
          // Consent is part of the profile itself (last writer wins by event time, like traits).
          ...(want('consent') && { consent: consentOf(profile.traitState) }),
          version: profile.version,
          ...(want('first_seen') && { first_seen: profile.firstSeen }),
          ...(want('last_seen') && { last_seen: profile.lastSeen }),
          ...(minVersion !== undefined && { min_version_met: met }),
        };
      },
    );

    routes.get(
      '/v1/profiles/:id/events',
      {
        schema: {
          summary: "A profile's events, newest first (events of merged-away profiles included)",
          params: profileIdParams,
          querystring: eventsQuery,
          response: { 200: eventsResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const tenant = tenantFor(request);
        const { limit, cursor, event, since } = request.query;
        const after = cursor === undefined ? undefined : decodeCursor(cursor);
        if (cursor !== undefined && after === undefined)
          return fail(reply, 400, 'bad_request', 'cursor is not one this API returned');
        const profile = await options.graph.getProfile(tenant.id, request.params.id);
        if (profile === null)
          return fail(reply, 404, 'not_found', `no profile ${request.params.id} in this tenant`);
        // A cursor keeps the window of its first page, so pages never shift while paging.
        const windowStart =
          after?.since ??
          (since !== undefined
            ? Math.floor(Date.parse(since) / 1000)
            : Math.floor(now() / 1000) - DEFAULT_EVENTS_WINDOW_SECONDS);
        // The ids whose events are this profile's: the graph's own merge history (transitive, and
        // ahead of ClickHouse) and profile_overrides (what events_resolved maps), as one list.
        const merged = await readMergedIds(
          options.clickhouse,
          options.database,
          tenant.id,
          profile.profileId,
        );
        const page = await readEventsPage(options.clickhouse, {
          database: options.database,
          tenant: tenant.id,
          profileIds: [...new Set([profile.profileId, ...profile.mergedFrom, ...merged])],
          since: Math.max(0, windowStart),
          limit,
          event,
          after,
        });
        return { profile_id: profile.profileId, ...page };
      },
    );

    routes.get(
      '/v1/profiles/:id/segments',
      {
        schema: {
          summary: 'The segments a profile is in, with when it entered each',
          params: profileIdParams,
          response: { 200: segmentsResponse, ...errorResponses },
        },
      },
      async (request, reply) => {
        const tenant = tenantFor(request);
        const profile = await options.graph.getProfile(tenant.id, request.params.id);
        if (profile === null)
          return fail(reply, 404, 'not_found', `no profile ${request.params.id} in this tenant`);
        const segments = await readSegments(
          options.clickhouse,
          options.database,
          tenant.id,
          profile.profileId,
        );
        return { profile_id: profile.profileId, segments };
      },
    );
    const privacy = options.privacy;
    const statusUrl = (id: string) => `/v1/privacy/requests/${encodeURIComponent(id)}`;
    routes.post(
      '/v1/privacy/requests',
      {
        config: { keyKind: 'privacy' },
        schema: {
          summary: 'Ask for access, delete, suppress or unsuppress of the person holding an identifier',
          security: [{ privacyKey: [] }],
          body: privacyRequestBody,
          response: { 202: privacyRequestAccepted, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { tenant, keyHash } = callerFor(request);
        const { action, identifier, requested_by: requestedBy } = request.body;
        const built = buildPrivacyRequest(
          tenant,
          action,
          identifier,
          requestedBy ?? `privacy-key:${keyHash.slice(0, 12)}`,
          now(),
        );
        if (!built.ok) return fail(reply, 400, 'invalid_identifier', built.reason);
        const { requestId } = built.request;
        await publishPrivacyRequest(
          privacy.producer,
          privacy.codec,
          built.request,
          privacy.follower.topics.requests,
        );
        privacy.follower.noteRequest(tenant.id, requestId);
        return reply.code(202).send({ request_id: requestId, status_url: statusUrl(requestId) });
      },
    );

    routes.get(
      '/v1/privacy/requests/:id',
      {
        config: { keyKind: 'privacy' },
        schema: {
          summary: "A privacy request's receipt (200), or 202 while it is being carried out",
          security: [{ privacyKey: [] }],
          params: privacyRequestParams,
          response: { 200: privacyReceiptResponse, 202: privacyRequestPending, ...errorResponses },
        },
      },
      async (request, reply) => {
        const { tenant } = callerFor(request);
        const { id } = request.params;
        const state = privacy.follower.state(tenant.id, id);
        if (state.status === 'done') return state.receipt;
        if (state.status === 'pending') return reply.code(202).send({ request_id: id, status: 'pending' });
        return fail(
          reply,
          404,
          'not_found',
          `no privacy request ${id} in this tenant within the API's look-back (older ones: cdp privacy status)`,
        );
      },
    );
    done();
  });
  return app;
}
