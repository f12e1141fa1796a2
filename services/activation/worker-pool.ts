// One DestinationWorker per live destination definition: started when a destination appears,
// updated in place when it changes, stopped when it is deleted (what it had queued stays in Redis
// and is delivered if the destination comes back).
import type { StoredDefinition } from '../common/definitions/definition-kind';
import type { DefinitionChange, DefinitionsFollower } from '../common/definitions/definitions-follower';
import type { Destination } from '../common/definitions/kinds/destination';
import { DestinationWorker, type WorkerDeps, type WorkerSettings } from './destination-worker';

export class WorkerPool {
  private readonly workers = new Map<string, DestinationWorker>();
  private stopped = false;

  constructor(
    private readonly deps: WorkerDeps,
    private readonly settings: WorkerSettings,
  ) {}

  /** Starts a worker for every destination known now and follows the changes. */
  follow(follower: DefinitionsFollower): void {
    for (const d of follower.all<Destination>('destination')) this.put(d);
    follower.onChange((change: DefinitionChange) => {
      if (change.kind !== 'destination') return;
      if (change.after === undefined) return this.remove(change.tenant, change.id);
      this.put(change.after as StoredDefinition<Destination>);
    });
  }

  private put(stored: StoredDefinition<Destination>): void {
    if (this.stopped) return;
    const key = `${stored.tenant}:${stored.id}`;
    const existing = this.workers.get(key);
    if (existing !== undefined) return existing.update(stored.body);
    const worker = new DestinationWorker(stored.tenant, stored.body, this.deps, this.settings);
    this.workers.set(key, worker);
    worker.start();
  }

  private async remove(tenant: string, id: string): Promise<void> {
    const key = `${tenant}:${id}`;
    const worker = this.workers.get(key);
    this.workers.delete(key);
    await worker?.stop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const all = [...this.workers.values()];
    this.workers.clear();
    await Promise.all(all.map((w) => w.stop()));
  }
}
