// The pure parts of activation: payload mapping, consent, backoff, signatures.
import { Webhook } from 'standardwebhooks';
import { destinationSchema } from '../../../services/common/definitions/kinds/destination';
import { checkConsent } from '../../../services/activation/consent-check';
import { parseRetryAfter, retryDelayMs } from '../../../services/activation/backoff';
import { callsFor, profileView, type SourceRecord } from '../../../services/activation/segment-calls';
import { webhookHeaders } from '../../../services/activation/webhook-signature';
import { webhookBody } from '../../../services/activation/transports';
import { extractConsentOperations, consentOf } from '../../../services/identity-resolver/consent-operations';

const destination = destinationSchema.parse({
  kind: 'destination',
  id: 'crm-hook',
  type: 'webhook',
  url: 'https://crm.example.com/cdp',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  subscribe: {
    segments: ['vip'],
    computed_traits: ['ltv'],
    profile_traits: ['plan'],
    events: [{ event: 'Order Completed', where: { 'properties.currency': 'EUR' } }],
  },
});
const profile = profileView('p-1', ['user_id:u-1', 'email:ann@example.com', 'anonymous_id:a-1']);

describe('Segment-spec calls', () => {
  it('maps an entry to identify with the audience trait and track Audience Entered', () => {
    const source: SourceRecord = {
      stream: 'membership',
      record: {
        changeId: 'c-1',
        tenant: 'shop',
        segmentId: 'vip',
        profileId: 'p-1',
        status: 'entered',
        version: 1,
        segmentVersion: 3,
        changedAt: Date.UTC(2025, 0, 1),
      },
    };
    const calls = callsFor(source, destination, profile);
    expect(calls.map((c) => c.call)).toEqual([
      expect.objectContaining({ type: 'identify', userId: 'u-1', anonymousId: 'a-1', traits: { vip: true } }),
      expect.objectContaining({
        type: 'track',
        event: 'Audience Entered',
        properties: { audience_key: 'vip', vip: true, segment_version: 3 },
        timestamp: '2025-01-01T00:00:00.000Z',
      }),
    ]);
    expect(calls[0]!.call.context).toEqual({
      cdp: {
        tenant: 'shop',
        profile_id: 'p-1',
        identifiers: ['anonymous_id:a-1', 'email:ann@example.com', 'user_id:u-1'],
        destination_id: 'crm-hook',
        source: { stream: 'membership', id: 'c-1' },
      },
    });
    // Deterministic, distinct per call, and the call's messageId.
    expect(calls[0]!.id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(calls[0]!.id).not.toBe(calls[1]!.id);
    expect(callsFor(source, destination, profile).map((c) => c.id)).toEqual(calls.map((c) => c.id));
    expect(calls[1]!.call.messageId).toBe(calls[1]!.id);
  });

  it('ignores what the destination does not subscribe to', () => {
    const other: SourceRecord = {
      stream: 'membership',
      record: {
        changeId: 'c-2',
        tenant: 'shop',
        segmentId: 'churned',
        profileId: 'p-1',
        status: 'exited',
        version: 1,
        segmentVersion: 1,
        changedAt: 0,
      },
    };
    expect(callsFor(other, destination, profile)).toEqual([]);
  });

  it('sends computed traits and subscribed trait changes as identify, never consent entries', () => {
    const computed: SourceRecord = {
      stream: 'computed_traits',
      record: {
        changeId: 'x',
        tenant: 'shop',
        traitId: 'ltv',
        profileId: 'p-1',
        value: '120.5',
        previous: null,
        version: 2,
        definitionVersion: 1,
        changedAt: 0,
      },
    };
    expect(callsFor(computed, destination, profile)[0]!.call.traits).toEqual({ ltv: 120.5 });
    const change: SourceRecord = {
      stream: 'profile_changes',
      record: {
        changeId: 'p-1:4',
        tenant: 'shop',
        profileId: 'p-1',
        version: 4,
        kind: 'updated',
        sourceMessageId: 'm',
        identifiersAdded: [],
        mergedFrom: [],
        traitsChanged: [
          { name: 'plan', oldValue: '"free"', newValue: '"pro"' },
          { name: 'city', oldValue: null, newValue: '"Oslo"' },
          { name: '$consent:Marketing', oldValue: null, newValue: 'true' },
        ],
        changedAt: 0,
      },
    };
    expect(callsFor(change, destination, profile)[0]!.call.traits).toEqual({ plan: 'pro' });
  });

  it('forwards matching track events and journey sends to the destination they name', () => {
    const base = {
      messageId: 'ev-1',
      tenant: 'shop',
      type: 'track',
      userId: 'u-1',
      anonymousId: null,
      previousId: null,
      event: 'Order Completed',
      name: null,
      groupId: null,
      traits: null,
      context: null,
      integrations: null,
      timestamp: 0,
      sentAt: null,
      originalTimestamp: null,
      receivedAt: 0,
      profileId: 'p-1',
      resolvedAt: 0,
    };
    const eur = {
      stream: 'events',
      record: { ...base, properties: '{"currency":"EUR","total":10}' },
    } as SourceRecord;
    const usd = { stream: 'events', record: { ...base, properties: '{"currency":"USD"}' } } as SourceRecord;
    expect(callsFor(eur, destination, profile)[0]!.call).toMatchObject({
      type: 'track',
      event: 'Order Completed',
      properties: { currency: 'EUR', total: 10 },
    });
    expect(callsFor(usd, destination, profile)).toEqual([]);
    const action: SourceRecord = {
      stream: 'journey_actions',
      record: {
        actionId: 'act-1',
        tenant: 'shop',
        journeyId: 'welcome',
        journeyVersion: 2,
        instanceId: 'i-1',
        stepId: 'send-1',
        profileId: 'p-1',
        destinationId: 'crm-hook',
        message: 'welcome_email',
        payload: '{"plan":"pro"}',
        createdAt: 0,
      },
    };
    const [journey] = callsFor(action, destination, profile);
    expect(journey!.id).toBe('act-1');
    expect(journey!.call).toMatchObject({
      type: 'track',
      event: 'Journey Message',
      properties: {
        message_key: 'welcome_email',
        journey_id: 'welcome',
        journey_version: 2,
        step_id: 'send-1',
        instance_id: 'i-1',
        data: { plan: 'pro' },
      },
    });
    expect(
      callsFor(
        { ...action, record: { ...action.record, destinationId: 'other' } } as SourceRecord,
        destination,
        profile,
      ),
    ).toEqual([]);
  });
});

describe('consent', () => {
  it('reads categoryPreferences booleans only, stored as reserved trait entries', () => {
    const ops = extractConsentOperations({
      context: { consent: { categoryPreferences: { Marketing: true, Ads: false, Junk: 'yes' } } },
    });
    expect(ops).toEqual([
      { name: '$consent:Marketing', kind: 'set', value: 'true' },
      { name: '$consent:Ads', kind: 'set', value: 'false' },
    ]);
    expect(
      consentOf({
        '$consent:Marketing': { kind: 'set', ts: 0, value: 'true' },
        plan: { kind: 'set', ts: 0, value: '"pro"' },
      }),
    ).toEqual({
      Marketing: { granted: true, at: '1970-01-01T00:00:00.000Z' },
    });
  });

  it('allows only when every category is granted; no record follows the tenant mode', () => {
    expect(checkConsent([], 'opt_in', {})).toEqual({ allowed: true });
    expect(checkConsent(['Marketing'], 'opt_in', {})).toEqual({
      allowed: false,
      reason: 'consent: Marketing (no record, opt_in)',
    });
    expect(checkConsent(['Marketing'], 'opt_out', {})).toEqual({ allowed: true });
    expect(checkConsent(['Marketing'], 'opt_out', { Marketing: { granted: false } })).toEqual({
      allowed: false,
      reason: 'consent: Marketing revoked',
    });
    expect(
      checkConsent(['Marketing', 'Ads'], 'opt_in', { Marketing: { granted: true }, Ads: { granted: true } }),
    ).toEqual({ allowed: true });
  });
});

describe('backoff', () => {
  it('doubles to the cap with jitter in the upper half and honours Retry-After', () => {
    const settings = { initialMs: 1000, maxMs: 8000 };
    expect(retryDelayMs(1, undefined, settings, () => 0)).toBe(500);
    expect(retryDelayMs(1, undefined, settings, () => 1)).toBe(1000);
    expect(retryDelayMs(3, undefined, settings, () => 1)).toBe(4000);
    expect(retryDelayMs(30, undefined, settings, () => 1)).toBe(8000);
    expect(retryDelayMs(1, 60_000, settings, () => 1)).toBe(60_000);
    expect(parseRetryAfter('7')).toBe(7000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4000)).toBe(6000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('webhook signatures', () => {
  it('verify with the Standard Webhooks library; a batch is {"batch": [...]}', () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const body = webhookBody([{ messageId: 'msg_1', type: 'track' }], 1);
    expect(JSON.parse(body)).toEqual({ messageId: 'msg_1', type: 'track' });
    const headers = webhookHeaders(secret, 'msg_1', body);
    expect(() => new Webhook(secret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(JSON.parse(webhookBody([{ messageId: 'a', type: 'track' }], 100))).toEqual({
      batch: [{ messageId: 'a', type: 'track' }],
    });
  });
});
