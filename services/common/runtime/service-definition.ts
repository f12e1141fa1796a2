// What a service module exports so `cdp run <service>|all` can host it.
import type { Config } from '../config';
import type { Logger } from '../logger';

export interface RunningService {
  /** Drains in-flight work, commits, and releases connections. */
  stop(): Promise<void>;
  /** Cheap readiness probe for /healthz. */
  healthy(): Promise<boolean>;
}

export interface ServiceDefinition {
  name: string;
  description: string;
  /** Default port of the /metrics and /healthz server when CDP_OPS_PORT is not set. */
  defaultOpsPort: number;
  start(config: Config, logger: Logger): Promise<RunningService>;
}
