// The plans of every tenant, rebuilt from the followed definitions when one of them changes.
import type { StoredDefinition } from '../common/definitions/definition-kind';
import type { ComputedTraitDefinition } from '../common/definitions/kinds/computed-trait';
import type { SegmentDefinition } from '../common/definitions/kinds/segment';
import { buildPlan, type SegmentPlan } from './segment-plan';

export interface DefinitionSource {
  list<T>(tenant: string, kind: string): StoredDefinition<T>[];
  all<T>(kind: string): StoredDefinition<T>[];
}

export class TenantPlans {
  private readonly plans = new Map<string, SegmentPlan>();

  constructor(private readonly source: DefinitionSource) {
    const tenants = new Set([...source.all('segment'), ...source.all('computed_trait')].map((d) => d.tenant));
    for (const t of tenants) this.rebuild(t);
  }

  rebuild(tenant: string): void {
    const segments = this.source.list<SegmentDefinition>(tenant, 'segment');
    const traits = this.source.list<ComputedTraitDefinition>(tenant, 'computed_trait');
    if (segments.length + traits.length === 0) this.plans.delete(tenant);
    else this.plans.set(tenant, buildPlan(segments, traits));
  }

  get(tenant: string): SegmentPlan | undefined {
    return this.plans.get(tenant);
  }

  tenants(): string[] {
    return [...this.plans.keys()].sort();
  }
}
