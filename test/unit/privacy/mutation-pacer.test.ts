import { MutationPacer, type PacerClock } from '../../../services/privacy/mutation-pacer';

/** A clock that only moves when told: sleeps advance it, and each mutation "takes" its given ms. */
function fakeClock(): PacerClock & { at: number; slept: number[] } {
  const clock = {
    at: 0,
    slept: [] as number[],
    now: () => clock.at,
    sleep: async (ms: number) => {
      clock.slept.push(ms);
      clock.at += ms;
    },
  };
  return clock;
}

const taking = (clock: { at: number }, ms: number) => async () => {
  clock.at += ms;
  return ms;
};

describe('MutationPacer', () => {
  it('runs the first mutation at once, then pauses t x (1/duty - 1) after one that took t', async () => {
    const clock = fakeClock();
    const pacer = new MutationPacer(0.25, clock);
    expect(await pacer.run(taking(clock, 400))).toBe(400);
    expect(clock.slept).toEqual([]);
    await pacer.run(taking(clock, 100));
    // 400 ms at a quarter of the time: 1,200 ms of pause before the next.
    expect(clock.slept).toEqual([1200]);
    await pacer.run(taking(clock, 100));
    expect(clock.slept).toEqual([1200, 300]);
  });

  it('does not pause when the pause has passed already, nor at a duty of 1', async () => {
    const clock = fakeClock();
    const pacer = new MutationPacer(0.5, clock);
    await pacer.run(taking(clock, 200));
    clock.at += 500;
    await pacer.run(taking(clock, 200));
    expect(clock.slept).toEqual([]);
    const eager = new MutationPacer(1, clock);
    await eager.run(taking(clock, 200));
    await eager.run(taking(clock, 200));
    expect(clock.slept).toEqual([]);
  });

  it('paces after a failed mutation too, and lets its error through', async () => {
    const clock = fakeClock();
    const pacer = new MutationPacer(0.5, clock);
    await expect(
      pacer.run(async () => {
        clock.at += 300;
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    await pacer.run(taking(clock, 10));
    expect(clock.slept).toEqual([300]);
  });

  it('refuses a duty outside (0, 1]', () => {
    expect(() => new MutationPacer(0)).toThrow(/duty/);
    expect(() => new MutationPacer(1.5)).toThrow(/duty/);
  });
});
