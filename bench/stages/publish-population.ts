// Publishes a seeded population to a topic through the producer library (validated, Avro, keyed,
// acks=all) and writes its ground truth beside the results, with progress on long runs.
import { AvroCodec } from '../../services/common/codec/avro-codec';
import type { Config } from '../../services/common/config';
import { createEventProducer, type PublishableEvent } from '../../services/common/events/event-producer';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { createProducer } from '../../services/common/kafka/producer';
import { writeTruth } from '../population/ground-truth';
import {
  createPopulation,
  type PopulationCounters,
  type PopulationPlan,
} from '../population/generate-population';

export interface PublishOptions {
  topic: string;
  tenant: string;
  events: number;
  seed: number;
  truthFile: string;
}

export interface PublishedPopulation {
  /** Records written to the topic, duplicates and junk-only events included. */
  records: number;
  uniqueMessageIds: number;
  people: number;
  identifiers: number;
  sharedIdentifiers: number;
  junkOnlyEvents: number;
  duplicates: number;
  publishSeconds: number;
  publishEventsPerSecond: number;
  plan: PopulationPlan;
  counters: PopulationCounters;
  truthFile: string;
}

const BATCH = 2000;
/** Fixed so that a seed always yields the same events, timestamps included. */
const POPULATION_START = new Date(Date.UTC(2026, 0, 1));

export async function publishPopulation(
  config: Config,
  kafka: Kafka,
  options: PublishOptions,
): Promise<PublishedPopulation> {
  const population = createPopulation({
    seed: options.seed,
    events: options.events,
    tenant: options.tenant,
    start: POPULATION_START,
  });
  const codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  const producer = await createProducer(kafka);
  const publisher = createEventProducer({ codec, producer, topic: options.topic });
  const started = Date.now();
  let lastReport = started;
  let published = 0;
  try {
    let batch: PublishableEvent[] = [];
    const flush = async () => {
      await publisher.publish(batch);
      published += batch.length;
      batch = [];
      if (Date.now() - lastReport >= 5000) {
        lastReport = Date.now();
        const rate = Math.round(published / ((lastReport - started) / 1000));
        process.stderr.write(`bench: published ${published}/~${options.events} events (${rate}/s)\n`);
      }
    };
    for (const event of population.events) {
      batch.push(event);
      if (batch.length >= BATCH) await flush();
    }
    if (batch.length > 0) await flush();
  } finally {
    await producer.disconnect();
  }
  const publishSeconds = (Date.now() - started) / 1000;
  await writeTruth(options.truthFile, population.truth.entries());
  const summary = population.summary();
  process.stderr.write(
    `bench: published ${published} events of ${summary.people} people (${summary.identifiers} identifiers, ` +
      `${summary.duplicates} duplicates, ${summary.junkOnlyEvents} junk-only) in ${publishSeconds.toFixed(1)} s; ` +
      `truth in ${options.truthFile}\n`,
  );
  return {
    records: published,
    uniqueMessageIds: summary.expectedUniqueMessageIds,
    people: summary.people,
    identifiers: summary.identifiers,
    sharedIdentifiers: summary.sharedIdentifiers,
    junkOnlyEvents: summary.junkOnlyEvents,
    duplicates: summary.duplicates,
    publishSeconds,
    publishEventsPerSecond: Math.round(published / publishSeconds),
    plan: population.plan,
    counters: { ...population.counters },
    truthFile: options.truthFile,
  };
}
