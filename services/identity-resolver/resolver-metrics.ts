// The resolver's own metrics (the frame's runner metrics are in common/kafka).
import { Counter } from 'prom-client';
import { registry } from '../common/metrics/registry';

export const resolverEventsSuppressed = new Counter({
  name: 'cdp_resolver_events_suppressed_total',
  help: 'Events dropped because they carried an identifier of a suppressed subject, by tenant.',
  labelNames: ['tenant'] as const,
  registers: [registry],
});
