// The one logger: pino, JSON lines on stderr so stdout stays free for command output.
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string = process.env.CDP_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level, base: { service: name } }, pino.destination(2));
}
