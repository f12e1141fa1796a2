// The slot's and the profile state's text forms round-trip, and a profile waiting in one journey of
// short ids stays under Redis's 64-byte listpack value.
import fc from 'fast-check';
import {
  decodeProfileState,
  decodeSlot,
  encodeProfileState,
  encodeSlot,
  markKey,
  type JourneySlot,
} from '../../../services/journey-engine/journey-state';

const time = fc.integer({ min: 0, max: 4_102_444_800_000 });
const slotArb: fc.Arbitrary<JourneySlot> = fc.record(
  {
    entries: fc.nat(1000),
    endedAt: time,
    occurrences: fc.array(time, { minLength: 1, maxLength: 3 }),
    run: fc.record(
      {
        id: fc.stringMatching(/^[0-9a-f]{16}$/),
        version: fc.integer({ min: 1, max: 10_000 }),
        step: fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/),
        seq: fc.nat(60),
        due: time,
        trigger: fc.record(
          { at: time, fields: fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer())) },
          { requiredKeys: ['at'] },
        ),
      },
      { requiredKeys: ['id', 'version', 'step', 'seq', 'trigger'] },
    ),
  },
  { requiredKeys: ['entries'] },
);

it('round-trips every slot', () => {
  fc.assert(
    fc.property(slotArb, (slot) => {
      expect(decodeSlot(encodeSlot(slot))).toEqual(JSON.parse(JSON.stringify(slot)));
    }),
  );
});

it('round-trips every profile state', () => {
  const journeyId = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);
  fc.assert(
    fc.property(
      fc.dictionary(
        fc.stringMatching(/^[a-z][A-Za-z0-9_-]{3}$/),
        fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      ),
      fc.dictionary(journeyId, slotArb.map(encodeSlot)),
      (offsets, slots) => {
        const state = { offsets: new Map(Object.entries(offsets)), slots: new Map(Object.entries(slots)) };
        expect(decodeProfileState(encodeProfileState(state))).toEqual(state);
      },
    ),
  );
  expect(encodeProfileState({ offsets: new Map(), slots: new Map() })).toBe('');
});

it('keeps a profile waiting in one journey of short ids under 64 bytes, its input mark included', () => {
  const slot = encodeSlot({
    entries: 1,
    run: {
      id: '8f0c1d2e3f4a5b6c',
      version: 12,
      step: 'wait',
      seq: 2,
      due: 1_764_412_800_000,
      trigger: { at: 1_764_240_000_000 },
    },
  });
  const text = encodeProfileState({
    offsets: new Map([[markKey('events:cdp.events.resolved.v1'), 2_000_000_000n]]),
    slots: new Map([['pricing', slot]]),
  });
  expect(text.length).toBeLessThanOrEqual(64);
});

it('names what is wrong in a damaged slot', () => {
  expect(() => decodeSlot('x?|')).toThrow('journey slot: entries is not a number');
});
