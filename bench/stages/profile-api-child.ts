// The profile API in a process of its own for the bench, as `cdp run profile-api` runs it: its heap
// and event loop hold the API alone, not the bench's populations and earlier stages. Driven over
// the IPC channel of fork() by profile-api-load.ts:
//   -> {start: {config, overrides}}  <- {port}
//   -> {measure: 'start'}            <- {measuring: true}
//   -> {measure: 'stop'}             <- {stats: ServerStats}
//   -> {stop: true}                  (stops the API and exits)
import type { Config } from '../../services/common/config';
import { createLogger } from '../../services/common/logger';
import {
  startProfileApi,
  type ProfileApiOverrides,
  type RunningProfileApi,
} from '../../services/profile-api/main';
import { processMeter, type ServerMeter, type ServerStats } from './open-loop-load';

export type ChildCommand =
  | { start: { config: Config; overrides: ProfileApiOverrides } }
  | { measure: 'start' | 'stop' }
  | { stop: true };

export type ChildReply = { port: number } | { measuring: true } | { stats: ServerStats } | { error: string };

const send = (reply: ChildReply) => process.send?.(reply);

if (require.main === module) {
  let api: RunningProfileApi | undefined;
  let meter: ServerMeter | undefined;
  // The bench is gone (killed or crashed): no orphaned API.
  process.on('disconnect', () => process.exit(0));
  process.on('message', (command: ChildCommand) => {
    void (async () => {
      if ('start' in command) {
        api = await startProfileApi(
          command.start.config,
          createLogger('profile-api-bench', 'warn'),
          command.start.overrides,
        );
        send({ port: api.port });
      } else if ('measure' in command && command.measure === 'start') {
        meter = processMeter();
        await meter.start();
        send({ measuring: true });
      } else if ('measure' in command) {
        if (meter === undefined) throw new Error('profile API child: stop before start of a measure');
        send({ stats: await meter.stop() });
      } else {
        await api?.stop();
        process.exit(0);
      }
    })().catch((err: unknown) => {
      send({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    });
  });
}
