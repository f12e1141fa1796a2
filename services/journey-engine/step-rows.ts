// A step log entry as a row of ClickHouse journey_steps (infra/clickhouse/0040_journey_steps.sql).
import { toClickHouseDateTime } from '../clickhouse-sink/clickhouse-datetime';
import type { StepLogRow } from './journey-engine';

export interface JourneyStepRow {
  tenant: string;
  entry_id: string;
  journey_id: string;
  journey_version: number;
  instance_id: string;
  profile_id: string;
  kind: string;
  step_id: string;
  seq: number;
  detail: string;
  at: string;
  at_ms: number;
}

export function stepLogRow(e: StepLogRow): JourneyStepRow {
  return {
    tenant: e.tenant,
    entry_id: e.entryId,
    journey_id: e.journeyId,
    journey_version: e.journeyVersion,
    instance_id: e.instanceId,
    profile_id: e.profileId,
    kind: e.kind,
    step_id: e.stepId,
    seq: e.seq,
    detail: e.detail,
    at: toClickHouseDateTime(e.at),
    at_ms: e.at,
  };
}
