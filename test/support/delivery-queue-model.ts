// Reference model of the per-destination delivery queue (services/activation/delivery-queue.ts):
// a FIFO per profile, ids queued once, a due time per profile with work, attempts per head.
export interface ModelClaim {
  profileId: string;
  attempts: number;
  ids: string[];
}

export class DeliveryQueueModel {
  private readonly lists = new Map<string, string[]>();
  private readonly due = new Map<string, number>();
  private readonly seen = new Set<string>();
  private readonly attempts = new Map<string, number>();

  enqueue(profileId: string, id: string, now: number): boolean {
    if (this.seen.has(id)) return false;
    this.seen.add(id);
    const list = this.lists.get(profileId) ?? [];
    list.push(id);
    this.lists.set(profileId, list);
    if (!this.due.has(profileId)) this.due.set(profileId, now);
    return true;
  }

  claim(now: number, leaseMs: number, profiles: number, items: number): ModelClaim[] {
    // Redis orders a sorted set by score, then member bytes.
    const ready = [...this.due.entries()]
      .filter(([, at]) => at <= now)
      .sort(([a, x], [b, y]) => x - y || (a < b ? -1 : a > b ? 1 : 0))
      .slice(0, profiles);
    const out: ModelClaim[] = [];
    for (const [profileId] of ready) {
      const list = this.lists.get(profileId) ?? [];
      if (list.length === 0) {
        this.due.delete(profileId);
        continue;
      }
      this.due.set(profileId, now + leaseMs);
      out.push({ profileId, attempts: this.attempts.get(list[0]!) ?? 0, ids: list.slice(0, items) });
    }
    return out;
  }

  pop(profileId: string, ids: string[], now: number): number {
    const list = this.lists.get(profileId) ?? [];
    let removed = 0;
    for (const id of ids) {
      if (list[0] !== id) break;
      list.shift();
      this.attempts.delete(id);
      removed += 1;
    }
    if (list.length > 0) this.due.set(profileId, now);
    else this.due.delete(profileId);
    return removed;
  }

  park(profileId: string, headId: string, dueAt: number): number {
    const attempts = (this.attempts.get(headId) ?? 0) + 1;
    this.attempts.set(headId, attempts);
    this.due.set(profileId, dueAt);
    return attempts;
  }

  pending(): number {
    let total = 0;
    for (const [profileId] of this.due) total += this.lists.get(profileId)?.length ?? 0;
    return total;
  }
}
