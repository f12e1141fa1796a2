// The child side of service-child.ts, for the `*-child.ts` scripts: run the start-up (a failure goes
// to stderr with exit code 1), print "member" once the processor's consumer holds partitions, and
// on SIGTERM stop the processor, print "stopped" and exit 0.
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';

export function runChild(name: string, start: () => Promise<RunningProcessor>): void {
  start()
    .then((running) => {
      const announce = setInterval(() => {
        const consumer = running.runner.state();
        if (consumer.member && Object.values(consumer.partitions).some((p) => p.length > 0)) {
          clearInterval(announce);
          process.stdout.write('member\n');
        }
      }, 50);
      process.once('SIGTERM', () => {
        clearInterval(announce);
        void running.stop().then(() => {
          process.stdout.write('stopped\n');
          process.exit(0);
        });
      });
    })
    .catch((err: unknown) => {
      process.stderr.write(`${name} failed to start: ${String(err)}\n`);
      process.exit(1);
    });
}
