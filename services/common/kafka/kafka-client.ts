// The one place that builds a kafkajs client, so the rest of the code never imports kafkajs directly.
import { Kafka, logLevel as KafkaLogLevel, type LogEntry } from 'kafkajs';
import type { Config } from '../config';
import { createLogger } from '../logger';

export type { Kafka };

const kafkaLog = createLogger('kafkajs');

const LIMITED_RETRIES_WARNING = 'Limiting retries for the idempotent producer';

function toPino(level: KafkaLogLevel): 'error' | 'warn' | 'info' | 'debug' {
  switch (level) {
    case KafkaLogLevel.ERROR:
    case KafkaLogLevel.NOTHING:
      return 'error';
    case KafkaLogLevel.WARN:
      return 'warn';
    case KafkaLogLevel.INFO:
      return 'info';
    default:
      return 'debug';
  }
}

export function createKafka(
  config: Pick<Config, 'CDP_KAFKA_BROKERS' | 'CDP_KAFKA_CLIENT_ID'>,
  clientId?: string,
  options: { quiet?: boolean } = {},
): Kafka {
  return new Kafka({
    clientId: clientId ?? config.CDP_KAFKA_CLIENT_ID,
    brokers: config.CDP_KAFKA_BROKERS,
    // kafkajs's own connection retries are short; the runner and producer wrap their own backoff.
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    // kafkajs logs broker disconnects at ERROR during normal restarts; WARN keeps signal useful.
    logLevel: options.quiet ? KafkaLogLevel.NOTHING : KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log }: LogEntry) => {
        const { message, ...rest } = log;
        // Said once per producer: its bounded retries are deliberate (our own retry loops wrap every
        // send, and exactly-once downstream rests on deterministic ids, not Kafka transactions).
        if (message.startsWith(LIMITED_RETRIES_WARNING)) return;
        kafkaLog[toPino(level)](rest, message);
      },
  });
}
