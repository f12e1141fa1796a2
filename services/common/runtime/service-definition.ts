// What a service module exports so `cdp run <service>|all` can host it.
import type { Config } from '../config';
import type { Logger } from '../logger';

export interface HealthReport {
  ok: boolean;
  detail?: Record<string, unknown>;
}

export interface RunningService {
  /** Drains in-flight work, commits, and releases connections. */
  stop(): Promise<void>;
  /** Cheap readiness probe for /healthz. */
  healthy(): Promise<boolean>;
  /** The same with what it is based on (consumer state, dependencies), shown by /healthz. */
  health?(): Promise<HealthReport>;
}

export interface ServiceDefinition {
  name: string;
  description: string;
  /** Default port of the /metrics and /healthz server when CDP_OPS_PORT is not set. */
  defaultOpsPort: number;
  start(config: Config, logger: Logger): Promise<RunningService>;
}
