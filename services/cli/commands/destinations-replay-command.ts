// `cdp destinations replay ID --tenant T [--since WHEN]`: queues a destination's dead letters again
// (services/activation/replay-dead-letters.ts); the running activation service delivers them.
import type { Command } from 'commander';
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import { parseDuration } from '../../common/definitions/kinds/destination';
import { createKafka } from '../../common/kafka/kafka-client';
import { createRedis } from '../../common/redis/redis-client';
import { loadTenants } from '../../common/tenants';
import { DeliveryQueue } from '../../activation/delivery-queue';
import { replayDeadLetters } from '../../activation/replay-dead-letters';
import { action } from '../cli-action';

/** `--since`: an ISO 8601 time, or a duration back from now (`2h`, `30m`, `1d`). */
export function parseSince(text: string, now = Date.now()): number | null {
  const ago = parseDuration(text);
  if (ago !== null) return now - ago;
  const at = Date.parse(text);
  return Number.isFinite(at) ? at : null;
}

async function replay(
  config: Config,
  id: string,
  options: { tenant: string; since?: string },
): Promise<number> {
  if (loadTenants(config.CDP_TENANTS_FILE).byId(options.tenant) === undefined) {
    process.stderr.write(
      `cdp destinations replay: unknown tenant '${options.tenant}' (not in ${config.CDP_TENANTS_FILE})\n`,
    );
    return 1;
  }
  const since = options.since === undefined ? undefined : parseSince(options.since);
  if (since === null) {
    process.stderr.write(
      `cdp destinations replay: --since must be an ISO 8601 time or a duration like 2h; got '${options.since}'\n`,
    );
    return 2;
  }
  const redis = createRedis(config.CDP_REDIS_URL, 'cdp-cli-replay');
  try {
    const { replayed } = await replayDeadLetters({
      kafka: createKafka(config, 'cdp-cli-replay', { quiet: true }),
      codec: new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL),
      queue: new DeliveryQueue(redis),
      tenant: options.tenant,
      destinationId: id,
      since,
    });
    process.stdout.write(
      `queued ${replayed} dead letter${replayed === 1 ? '' : 's'} of ${options.tenant}/${id} again\n`,
    );
    return 0;
  } finally {
    await redis.quit();
  }
}

/** Adds `replay` to the `destinations` group registerDefinitionCommands made. */
export function registerDestinationReplay(program: Command): void {
  const group = program.commands.find((c) => c.name() === 'destinations');
  if (group === undefined) throw new Error('the destinations command group must be registered first');
  group
    .command('replay <id>')
    .description("queue a destination's dead letters again (same ids)")
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--since <when>', 'only dead letters since this ISO time or duration ago (e.g. 2h)')
    .action((id: string, options: { tenant: string; since?: string }) =>
      action((config) => replay(config, id, options))(),
    );
}
