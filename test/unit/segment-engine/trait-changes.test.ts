import { applyTraitChanges, emptyState } from '../../../services/segment-engine/profile-state';

describe('applyTraitChanges', () => {
  it('keeps the value of the highest profile version per trait, whatever the arrival order', () => {
    const state = emptyState();
    expect(applyTraitChanges(state, 5, [{ name: 'plan', newValue: '"pro"' }])).toBe(true);
    expect(applyTraitChanges(state, 3, [{ name: 'plan', newValue: '"free"' }])).toBe(false);
    expect(state.traits).toEqual({ plan: 'pro' });
    expect(applyTraitChanges(state, 6, [{ name: 'plan', newValue: null }])).toBe(true);
    expect(state.traits).toEqual({});
  });

  it('leaves consent entries out: segments read traits only, as the SQL over profiles does', () => {
    const state = emptyState();
    expect(applyTraitChanges(state, 1, [{ name: '$consent:Marketing', newValue: 'true' }])).toBe(false);
    expect(state.traits).toEqual({});
    expect(state.tv).toEqual({});
  });
});
