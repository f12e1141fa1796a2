// Stores of engine state keyed by profile (identity graph, segment engine, journeys, ...): what the
// privacy service removes and counts for a subject. Every engine that keeps personal data per profile
// registers one store here; the privacy service iterates the registry for every delete and access.

export interface PersonalStateStore {
  /** Shown on receipts, e.g. 'redis:identity-graph'. Unique in a registry. */
  name: string;
  /**
   * Removes what the store holds on these profiles (and, where the store is keyed by identifier,
   * these identifiers); idempotent: a second call removes nothing and says so.
   */
  remove(
    tenant: string,
    profileIds: readonly string[],
    identifiers: readonly string[],
  ): Promise<{ removed: number }>;
  /** What the store still holds on them: the follow-up count a receipt shows, 0 when erased. */
  count(tenant: string, profileIds: readonly string[], identifiers: readonly string[]): Promise<number>;
  /** For access requests: the state as plain JSON values (absent: the store holds nothing worth showing). */
  read?(tenant: string, profileIds: readonly string[], identifiers: readonly string[]): Promise<unknown>;
}

export class PersonalStateRegistry {
  private readonly stores: PersonalStateStore[] = [];

  register(store: PersonalStateStore): this {
    if (this.stores.some((s) => s.name === store.name))
      throw new Error(`personal state store '${store.name}' is registered twice`);
    this.stores.push(store);
    return this;
  }

  all(): readonly PersonalStateStore[] {
    return this.stores;
  }
}
