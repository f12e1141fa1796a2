// A journey engine of one test file's own on the real stack: collector -> resolver -> engine, a
// private definitions topic (destinations and segments written straight to it, journeys applied
// through the CLI's functions), a private membership topic, and a reader of the actions topic.
import crypto from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  applyDefinitions,
  deleteDefinition,
  type DefinitionGroup,
} from '../../services/cli/commands/definitions-command';
import { AvroCodec } from '../../services/common/codec/avro-codec';
import { createClickHouse } from '../../services/common/clickhouse/clickhouse-client';
import { sqlIdentifier } from '../../services/common/clickhouse/escape-sql';
import { loadMigrations, migrate } from '../../services/common/clickhouse/migrator';
import type { Config } from '../../services/common/config';
import { definitionMessage } from '../../services/common/definitions/definitions-topic';
import type { Kafka } from '../../services/common/kafka/kafka-client';
import { createProducer, type MessageProducer } from '../../services/common/kafka/producer';
import { createLogger } from '../../services/common/logger';
import type { RunningProcessor } from '../../services/common/runtime/stream-processor';
import { journeyActions, type JourneyActionRecord } from '../../services/common/streams/journey-actions';
import {
  segmentMembership,
  type SegmentMembershipRecord,
} from '../../services/common/streams/segment-membership';
import { tenantDirectory } from '../../services/common/tenants';
import { startCollector, type RunningCollector } from '../../services/collector/main';
import { journeyEngine, type JourneyEngineOptions } from '../../services/journey-engine/main';
import {
  createResolverTopics,
  dropResolverTopics,
  startTestResolver,
  type ResolverTestTopics,
} from './identity-resolver-stack';
import { config, createTopics, deleteTopics, uniqueName } from './real-stack';

export interface JourneyTopics {
  resolver: ResolverTestTopics;
  definitions: string;
  membership: string;
  actions: string;
  dlq: string;
}

export interface Io {
  out: string[];
  err: string[];
  io: { out(line: string): void; err(line: string): void };
}

export function capture(): Io {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => void out.push(l), err: (l) => void err.push(l) } };
}

/** Collects every action record of the actions topic as it arrives. */
export class ActionReader {
  readonly records: JourneyActionRecord[] = [];
  private consumer?: ReturnType<Kafka['consumer']>;

  async start(kafka: Kafka, codec: AvroCodec, topic: string): Promise<void> {
    this.consumer = kafka.consumer({ groupId: uniqueName('test.journey.actions-reader') });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        this.records.push(await codec.decodeRecord(journeyActions, message.value));
      },
    });
  }

  of(profileId: string): JourneyActionRecord[] {
    return this.records.filter((r) => r.profileId === profileId);
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }
}

export class JourneyStack {
  readonly run = crypto.randomBytes(5).toString('hex');
  readonly tenant = `jrn-${this.run}`;
  readonly writeKey = `${this.tenant}-write-key`;
  readonly database = `cdp_journeys_${this.run}`;
  readonly codec = new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL);
  readonly actions = new ActionReader();
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'cdp-journeys-'));
  /** The CLI's config: a tenants file naming this test's tenant. */
  readonly cliConfig: Config;
  topics!: JourneyTopics;
  collector?: RunningCollector;
  resolverService?: { stop(): Promise<void> };
  engine?: RunningProcessor;
  producer?: MessageProducer;
  readonly clickhouse = createClickHouse(config);
  readonly engineGroup = uniqueName('test.journey-engine.group');

  constructor(
    readonly kafka: Kafka,
    readonly options: { clickhouse?: boolean } = {},
  ) {
    const tenantsFile = path.join(this.dir, 'tenants.json');
    writeFileSync(
      tenantsFile,
      JSON.stringify({ tenants: [{ id: this.tenant, writeKeys: [this.writeKey] }] }),
    );
    this.cliConfig = { ...config, CDP_TENANTS_FILE: tenantsFile };
  }

  /** Starts everything; the engine in this process unless `engine` is false (a child runs it). */
  async start(engine: JourneyEngineOptions | false = {}): Promise<void> {
    const name = (what: string) => uniqueName(`test.journeys.${what}`);
    this.topics = {
      resolver: await createResolverTopics(this.kafka, 1),
      definitions: name('definitions'),
      membership: name('membership'),
      actions: name('actions'),
      dlq: name('dlq'),
    };
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic: this.topics.definitions,
          numPartitions: 1,
          configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
        },
      ],
    });
    await admin.disconnect();
    await createTopics(this.kafka, [this.topics.membership, this.topics.actions, this.topics.dlq], 1);
    if (this.options.clickhouse) await migrate(this.clickhouse, this.database, loadMigrations());
    this.producer = await createProducer(this.kafka);
    this.resolverService = await startTestResolver(
      this.topics.resolver,
      this.tenant,
      uniqueName('test.journeys.resolver'),
    );
    this.collector = await startCollector(
      { ...config, CDP_COLLECTOR_PORT: 0 },
      createLogger('collector', 'silent'),
      {
        topic: this.topics.resolver.input,
        tenants: tenantDirectory({ tenants: [{ id: this.tenant, writeKeys: [this.writeKey] }] }),
      },
    );
    await this.actions.start(this.kafka, this.codec, this.topics.actions);
    if (engine !== false) await this.startEngine(engine);
  }

  engineOptions(extra: JourneyEngineOptions = {}): JourneyEngineOptions {
    return {
      tenants: tenantDirectory({ tenants: [{ id: this.tenant, writeKeys: [this.writeKey] }] }),
      definitionsTopic: this.topics.definitions,
      database: this.options.clickhouse ? this.database : false,
      tickMs: 50,
      ...extra,
    };
  }

  /** The topics and group the engine runs with (also given to a child process). */
  engineStart(extra: JourneyEngineOptions = {}) {
    return {
      topics: {
        inputs: {
          events: this.topics.resolver.resolved,
          merges: this.topics.resolver.merges,
          membership: this.topics.membership,
        },
        outputs: { actions: this.topics.actions },
        dlq: this.topics.dlq,
      },
      groupId: this.engineGroup,
      options: this.engineOptions(extra),
    };
  }

  async startEngine(extra: JourneyEngineOptions = {}): Promise<void> {
    this.engine = await journeyEngine.startWith(
      { ...config, CDP_RETRY_INITIAL_MS: 20, CDP_RETRY_MAX_MS: 500 },
      createLogger('journey-engine-test', process.env.CDP_LOG_LEVEL ?? 'silent'),
      this.engineStart(extra),
    );
  }

  async stopEngine(): Promise<void> {
    await this.engine?.stop();
    this.engine = undefined;
  }

  /** Stores a destination or segment record straight in the definitions topic (kinds not registered here). */
  async storeDefinition(kind: string, id: string, body: Record<string, unknown> = {}): Promise<void> {
    await this.producer!.send([
      await definitionMessage(
        this.codec,
        {
          tenant: this.tenant,
          kind,
          id,
          version: 1,
          body: JSON.stringify({ kind, id, ...body }),
          updatedAt: Date.now(),
        },
        this.topics.definitions,
      ),
    ]);
  }

  /** `cdp journeys apply` (or another group's apply) on files holding these bodies; the exit code and output. */
  async apply(
    bodies: unknown[],
    group: DefinitionGroup = { command: 'journeys', kinds: ['journey'] },
  ): Promise<{ code: number } & Io> {
    const files = bodies.map((b, i) => {
      const file = path.join(this.dir, `journey-${crypto.randomBytes(4).toString('hex')}-${i}.json`);
      writeFileSync(file, JSON.stringify(b));
      return file;
    });
    const io = capture();
    const code = await applyDefinitions(
      this.cliConfig,
      group,
      files,
      { tenant: this.tenant, topic: this.topics.definitions },
      undefined,
      io.io,
    );
    return { code, ...io };
  }

  async deleteJourney(id: string): Promise<number> {
    return deleteDefinition(
      this.cliConfig,
      { command: 'journeys', kinds: ['journey'] },
      id,
      { tenant: this.tenant, topic: this.topics.definitions },
      undefined,
      capture().io,
    );
  }

  /** Sends Segment calls through the collector's /v1/batch. */
  async send(batch: Record<string, unknown>[]): Promise<void> {
    const res = await fetch(`http://127.0.0.1:${this.collector!.port}/v1/batch`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Basic ${Buffer.from(`${this.writeKey}:`).toString('base64')}`,
      },
      body: JSON.stringify({ batch }),
    });
    if (res.status !== 200) throw new Error(`collector answered ${res.status}: ${await res.text()}`);
  }

  async publishMembership(records: Omit<SegmentMembershipRecord, 'tenant'>[]): Promise<void> {
    const messages = await Promise.all(
      records.map(async (r) => {
        const record = { ...r, tenant: this.tenant };
        return {
          topic: this.topics.membership,
          key: segmentMembership.key(record),
          value: await this.codec.encodeRecord(segmentMembership, record, this.topics.membership),
        };
      }),
    );
    await this.producer!.send(messages);
  }

  async stepRows<T>(query: string): Promise<T[]> {
    const rs = await this.clickhouse.query({ query, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  get db(): string {
    return sqlIdentifier(this.database);
  }

  async stop(): Promise<void> {
    await this.collector?.stop();
    await this.stopEngine();
    await this.resolverService?.stop();
    await this.actions.stop();
    await this.producer?.disconnect();
    if (this.topics) {
      await dropResolverTopics(this.kafka, this.topics.resolver);
      await deleteTopics(this.kafka, [
        this.topics.definitions,
        this.topics.membership,
        this.topics.actions,
        this.topics.dlq,
      ]);
    }
    if (this.options.clickhouse)
      await this.clickhouse.command({ query: `DROP DATABASE IF EXISTS ${this.db}` });
    await this.clickhouse.close();
  }
}

export { pricingJourney } from './journey-fixtures';
