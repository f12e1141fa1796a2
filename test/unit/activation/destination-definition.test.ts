// Destination definitions are validated whole: one bad field refuses the apply and names the field.
import { destinationKind } from '../../../services/common/definitions/kinds/destination';
import { validateDefinitionFiles } from '../../../services/common/definitions/validate-definitions';
import type { StoredDefinition } from '../../../services/common/definitions/definition-kind';

const ISSUE_EXAMPLE = {
  kind: 'destination',
  id: 'crm-hook',
  type: 'webhook',
  url: 'https://crm.example.com/cdp',
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  consent_categories: ['Marketing'],
  subscribe: {
    segments: ['repeat-buyers'],
    computed_traits: ['lifetime_revenue'],
    profile_traits: ['plan'],
    events: [{ event: 'Order Completed' }],
  },
};

const stored = (kind: string, id: string): StoredDefinition => ({
  tenant: 'shop',
  kind,
  id,
  version: 1,
  body: { kind, id },
  updatedAt: 0,
});
const STORED = [stored('segment', 'repeat-buyers'), stored('computed_trait', 'lifetime_revenue')];

function validate(...bodies: unknown[]) {
  return validateDefinitionFiles([{ file: 'destinations.json', text: JSON.stringify(bodies) }], STORED, [
    destinationKind as never,
  ]);
}

describe('destination definitions', () => {
  it('accepts the pinned example with its defaults', () => {
    const result = validate(ISSUE_EXAMPLE);
    expect(result.problems).toEqual([]);
    expect(result.definitions[0]!.body).toMatchObject({
      timeout_ms: 5000,
      batch_size: 1,
      max_age: '4h',
      headers: {},
    });
  });

  it('refuses a url that is not http(s), naming the field, and publishes nothing of the file', () => {
    const result = validate(
      { ...ISSUE_EXAMPLE, id: 'ok-hook' },
      { ...ISSUE_EXAMPLE, url: 'ftp://crm.example.com/x' },
    );
    expect(result.definitions).toEqual([]);
    expect(result.problems).toEqual([
      { file: 'destinations.json', path: '$[1].url', reason: 'must be an http:// or https:// URL' },
    ]);
  });

  it('refuses a missing or malformed secret, naming the field', () => {
    const noSecret: Record<string, unknown> = { ...ISSUE_EXAMPLE };
    delete noSecret.secret;
    expect(validate(noSecret).problems).toEqual([
      expect.objectContaining({ path: '$[0].secret', reason: expect.stringContaining('is required') }),
    ]);
    expect(validate({ ...ISSUE_EXAMPLE, secret: 'hunter2' }).problems).toEqual([
      expect.objectContaining({ path: '$[0].secret', reason: expect.stringContaining('whsec_') }),
    ]);
  });

  it('refuses a subscription to a segment or computed trait that does not exist', () => {
    const result = validate({
      ...ISSUE_EXAMPLE,
      subscribe: { segments: ['nope'], computed_traits: ['gone'] },
    });
    expect(result.problems.map((p) => p.path)).toEqual([
      '$[0].subscribe.segments[0]',
      '$[0].subscribe.computed_traits[0]',
    ]);
  });

  it('checks the fields of each type and unknown fields', () => {
    expect(validate({ ...ISSUE_EXAMPLE, type: 'email' }).problems[0]!.path).toBe('$[0].type');
    expect(
      validate({ kind: 'destination', id: 'k', type: 'kafka', topic: 'bad topic!' }).problems.map(
        (p) => p.path,
      ),
    ).toEqual(['$[0].topic']);
    expect(
      validate({ kind: 'destination', id: 's', type: 'segment', url: 'https://api.segment.io' }).problems.map(
        (p) => p.path,
      ),
    ).toEqual(['$[0].write_key']);
    expect(validate({ ...ISSUE_EXAMPLE, timeout_ms: -1 }).problems[0]!.path).toBe('$[0].timeout_ms');
    expect(validate({ ...ISSUE_EXAMPLE, max_age: 'forever' }).problems[0]!.path).toBe('$[0].max_age');
    expect(validate({ ...ISSUE_EXAMPLE, retries: 3 }).problems[0]!.reason).toMatch(/retries/);
  });
});
