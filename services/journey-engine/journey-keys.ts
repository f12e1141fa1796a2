// Key layout of the journey engine, inside the tenant's hash tag (identity-resolver/redis-keys.ts),
// so one script can touch a tenant's profiles, timers and outboxes together.
//   {t:<tenant>}:j:p:<profileId>   hash  <journeyId> -> slot (journey-state.ts), `~v` write counter,
//                                        `~o:<input>` last applied offset of an input topic
//   {t:<tenant>}:j:timers          zset  `<profileId>|<journeyId>|<seq>` -> due epoch ms
//   {t:<tenant>}:j:out             stream  actions not yet acknowledged by Kafka
//   {t:<tenant>}:j:log             stream  step log rows not yet inserted into ClickHouse
//   {t:<tenant>}:j:def:<journeyId> hash  version -> body, for instances still on an older version
import { tenantPrefix } from '../identity-resolver/redis-keys';

export const profileJourneysPrefix = (tenant: string) => `${tenantPrefix(tenant)}:j:p:`;
export const profileJourneysKey = (tenant: string, profileId: string) =>
  `${profileJourneysPrefix(tenant)}${profileId}`;
export const timersKey = (tenant: string) => `${tenantPrefix(tenant)}:j:timers`;
export const actionsOutboxKey = (tenant: string) => `${tenantPrefix(tenant)}:j:out`;
export const stepLogOutboxKey = (tenant: string) => `${tenantPrefix(tenant)}:j:log`;
export const journeyVersionsKey = (tenant: string, journeyId: string) =>
  `${tenantPrefix(tenant)}:j:def:${journeyId}`;

export function timerMember(profileId: string, journeyId: string, seq: number): string {
  return `${profileId}|${journeyId}|${seq}`;
}

/** Journey ids and seqs hold no `|`; a profile id may, so it is everything before the last two. */
export function parseTimerMember(
  member: string,
): { profileId: string; journeyId: string; seq: number } | null {
  const parts = member.split('|');
  if (parts.length < 3) return null;
  const seq = Number(parts.pop());
  const journeyId = parts.pop()!;
  if (!Number.isInteger(seq)) return null;
  return { profileId: parts.join('|'), journeyId, seq };
}
