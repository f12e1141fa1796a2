// A reference model of journeys, written as plainly as possible and apart from the engine: per
// profile a step index, a due time, the trigger times counted, the entries. It covers linear journeys
// (send, wait, wait_for with on_event / on_timeout, exit), Nth-occurrence triggers, exit_when and
// re-entry; the property test compares the engine on real Redis with it.

export type ModelStep =
  | { id: string; send: string }
  | { id: string; waitMs: number }
  | { id: string; waitFor: string; timeoutMs: number; onEvent?: string; onTimeout?: string }
  | { id: string; exit: string };

export interface ModelJourney {
  trigger: string;
  occurrence: number;
  windowMs: number;
  exitWhen: string;
  /** null: never. */
  reentryAfterMs: number | null;
  steps: ModelStep[];
}

interface ModelProfile {
  at?: number; // index of the step the instance waits at
  due?: number;
  counted: number[];
  entries: number;
  endedAt?: number;
}

export interface ModelOutput {
  profile: string;
  step: string;
  message: string;
}

export class JourneyReferenceModel {
  readonly sent: ModelOutput[] = [];
  readonly exits: { profile: string; reason: string }[] = [];
  private readonly profiles = new Map<string, ModelProfile>();

  constructor(private readonly journey: ModelJourney) {}

  private profile(id: string): ModelProfile {
    let p = this.profiles.get(id);
    if (p === undefined) {
      p = { counted: [], entries: 0 };
      this.profiles.set(id, p);
    }
    return p;
  }

  private indexOf(id: string | undefined, fallback: number): number {
    if (id === undefined) return fallback;
    return this.journey.steps.findIndex((s) => s.id === id);
  }

  private end(id: string, p: ModelProfile, reason: string, at: number): void {
    p.at = undefined;
    p.due = undefined;
    p.endedAt = at;
    this.exits.push({ profile: id, reason });
  }

  /** Runs from step index i until a wait or the end. */
  private runFrom(id: string, p: ModelProfile, i: number, at: number): void {
    for (;;) {
      const step = this.journey.steps[i];
      if (step === undefined) return this.end(id, p, 'completed', at);
      if ('send' in step) {
        this.sent.push({ profile: id, step: step.id, message: step.send });
        i++;
      } else if ('waitMs' in step) {
        p.at = i;
        p.due = at + step.waitMs;
        return;
      } else if ('waitFor' in step) {
        p.at = i;
        p.due = at + step.timeoutMs;
        return;
      } else {
        return this.end(id, p, step.exit, at);
      }
    }
  }

  event(id: string, name: string, at: number): void {
    const p = this.profile(id);
    const j = this.journey;
    if (p.at !== undefined) {
      if (name === j.exitWhen) return this.end(id, p, 'converted', at);
      const step = j.steps[p.at]!;
      if ('waitFor' in step && step.waitFor === name)
        this.runFrom(id, p, this.indexOf(step.onEvent, p.at + 1), at);
      return;
    }
    if (name !== j.trigger) return;
    if (
      p.entries > 0 &&
      (j.reentryAfterMs === null || p.endedAt === undefined || at < p.endedAt + j.reentryAfterMs)
    )
      return;
    p.counted = [...p.counted, at].filter((t) => t > at - j.windowMs);
    if (p.counted.length < j.occurrence) return;
    p.counted = [];
    p.entries++;
    this.runFrom(id, p, 0, at);
  }

  /** Fires every timer due at or before t, earliest first. */
  advanceTo(t: number): void {
    for (;;) {
      let next: [string, ModelProfile] | undefined;
      for (const [id, p] of this.profiles)
        if (p.due !== undefined && p.due <= t && (next === undefined || p.due < next[1].due!)) next = [id, p];
      if (next === undefined) return;
      const [id, p] = next;
      const due = p.due!;
      const step = this.journey.steps[p.at!]!;
      p.due = undefined;
      const target = 'waitFor' in step ? this.indexOf(step.onTimeout, p.at! + 1) : p.at! + 1;
      this.runFrom(id, p, target, due);
    }
  }

  /** The step a profile's instance waits at, or undefined. */
  waitingAt(id: string): string | undefined {
    const p = this.profiles.get(id);
    return p?.at === undefined ? undefined : this.journey.steps[p.at]!.id;
  }

  entries(id: string): number {
    return this.profiles.get(id)?.entries ?? 0;
  }
}
