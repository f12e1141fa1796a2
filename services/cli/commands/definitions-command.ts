// `cdp segments|destinations|journeys apply|list|delete`: one implementation for every kind of
// definition. apply validates every file first and publishes nothing when one problem exists.
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { AvroCodec } from '../../common/codec/avro-codec';
import type { Config } from '../../common/config';
import type { DefinitionKind, StoredDefinition } from '../../common/definitions/definition-kind';
import {
  definitionMessage,
  publish,
  readDefinitions,
  tombstoneMessage,
} from '../../common/definitions/definitions-topic';
import { DEFINITION_KINDS } from '../../common/definitions/kinds';
import {
  referrersOf,
  sameBody,
  validateDefinitionFiles,
  type DefinitionFile,
} from '../../common/definitions/validate-definitions';
import { createKafka } from '../../common/kafka/kafka-client';
import { createProducer, type OutgoingMessage } from '../../common/kafka/producer';
import { loadTenants } from '../../common/tenants';
import { action } from '../cli-action';

export interface DefinitionGroup {
  /** The command name: `cdp <command> apply`. */
  command: string;
  /** The kinds it manages, as written in the bodies' `kind` field. */
  kinds: string[];
}

interface Io {
  out(line: string): void;
  err(line: string): void;
}

const stdio: Io = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

function kindsOf(group: DefinitionGroup, registry: readonly DefinitionKind[]): DefinitionKind[] {
  return registry.filter((k) => group.kinds.includes(k.kind));
}

function knownTenant(config: Config, tenant: string, command: string, io: Io): boolean {
  if (loadTenants(config.CDP_TENANTS_FILE).byId(tenant) !== undefined) return true;
  io.err(`cdp ${command}: unknown tenant '${tenant}' (not in ${config.CDP_TENANTS_FILE})`);
  return false;
}

async function withKafka<T>(
  config: Config,
  run: (kafka: ReturnType<typeof createKafka>, codec: AvroCodec) => Promise<T>,
): Promise<T> {
  const kafka = createKafka(config, 'cdp-cli-definitions', { quiet: true });
  return run(kafka, new AvroCodec(config.CDP_SCHEMA_REGISTRY_URL));
}

export async function applyDefinitions(
  config: Config,
  group: DefinitionGroup,
  files: string[],
  options: { tenant: string; dryRun?: boolean; topic?: string },
  registry: readonly DefinitionKind[] = DEFINITION_KINDS,
  io: Io = stdio,
): Promise<number> {
  const name = `${group.command} apply`;
  if (!knownTenant(config, options.tenant, name, io)) return 1;
  const inputs: DefinitionFile[] = [];
  let unreadable = false;
  for (const file of files) {
    try {
      inputs.push({ file, text: await readFile(file, 'utf8') });
    } catch (err) {
      io.err(`${file}: $: cannot read: ${(err as Error).message}`);
      unreadable = true;
    }
  }
  if (unreadable) return 1;
  return withKafka(config, async (kafka, codec) => {
    const stored = await readDefinitions(kafka, codec, { tenant: options.tenant, topic: options.topic });
    const { definitions, problems } = validateDefinitionFiles(inputs, stored, kindsOf(group, registry));
    if (problems.length > 0) {
      for (const p of problems) io.err(`${p.file}: ${p.path}: ${p.reason}`);
      io.err(`cdp ${name}: ${problems.length} problem(s); nothing was published`);
      return 1;
    }
    const now = Date.now();
    const messages: OutgoingMessage[] = [];
    for (const d of definitions) {
      const before = stored.find((s) => s.kind === d.kind && s.id === d.id);
      if (before !== undefined && sameBody(before.body, d.body)) {
        io.out(`${d.kind} ${d.id}: unchanged (version ${before.version})`);
        continue;
      }
      const version = (before?.version ?? 0) + 1;
      io.out(`${d.kind} ${d.id}: ${before === undefined ? 'created' : 'updated'}, version ${version}`);
      if (options.dryRun) continue;
      messages.push(
        await definitionMessage(
          codec,
          {
            tenant: options.tenant,
            kind: d.kind,
            id: d.id,
            version,
            body: JSON.stringify(d.body),
            updatedAt: now,
          },
          options.topic,
        ),
      );
    }
    if (options.dryRun) {
      io.out(`cdp ${name}: valid; --dry-run published nothing`);
      return 0;
    }
    const producer = await createProducer(kafka);
    try {
      await publish(producer, messages);
    } finally {
      await producer.disconnect();
    }
    return 0;
  });
}

export function definitionListJson(stored: StoredDefinition[]): Record<string, unknown>[] {
  return stored.map((d) => ({
    kind: d.kind,
    id: d.id,
    version: d.version,
    updated_at: new Date(d.updatedAt).toISOString(),
    definition: d.body,
  }));
}

export async function listDefinitions(
  config: Config,
  group: DefinitionGroup,
  options: { tenant: string; json?: boolean; topic?: string },
  registry: readonly DefinitionKind[] = DEFINITION_KINDS,
  io: Io = stdio,
): Promise<number> {
  if (!knownTenant(config, options.tenant, `${group.command} list`, io)) return 1;
  const kinds = kindsOf(group, registry);
  return withKafka(config, async (kafka, codec) => {
    const stored = (await readDefinitions(kafka, codec, { tenant: options.tenant, topic: options.topic }))
      .filter((d) => group.kinds.includes(d.kind))
      .sort((a, b) => a.kind.localeCompare(b.kind) || a.id.localeCompare(b.id));
    if (options.json) {
      io.out(JSON.stringify(definitionListJson(stored)));
      return 0;
    }
    if (stored.length === 0) io.out(`no ${group.command} in tenant ${options.tenant}`);
    for (const d of stored) {
      const summary = kinds.find((k) => k.kind === d.kind)?.summary?.(d.body as never) ?? '';
      io.out(`${d.kind.padEnd(15)} ${d.id.padEnd(28)} v${String(d.version).padEnd(4)} ${summary}`.trimEnd());
    }
    return 0;
  });
}

export async function deleteDefinition(
  config: Config,
  group: DefinitionGroup,
  id: string,
  options: { tenant: string; kind?: string; topic?: string },
  registry: readonly DefinitionKind[] = DEFINITION_KINDS,
  io: Io = stdio,
): Promise<number> {
  const name = `${group.command} delete`;
  if (!knownTenant(config, options.tenant, name, io)) return 1;
  return withKafka(config, async (kafka, codec) => {
    const stored = await readDefinitions(kafka, codec, { tenant: options.tenant, topic: options.topic });
    const matches = stored.filter(
      (d) =>
        d.id === id &&
        group.kinds.includes(d.kind) &&
        (options.kind === undefined || d.kind === options.kind),
    );
    if (matches.length === 0) {
      io.err(
        `cdp ${name}: no ${options.kind ?? group.kinds.join(' or ')} '${id}' in tenant ${options.tenant}`,
      );
      return 1;
    }
    if (matches.length > 1) {
      io.err(`cdp ${name}: '${id}' names a ${matches.map((m) => m.kind).join(' and a ')}; add --kind`);
      return 1;
    }
    const target = matches[0]!;
    const referrers = referrersOf(target.kind, id, stored, registry);
    if (referrers.length > 0) {
      io.err(
        `cdp ${name}: ${target.kind} '${id}' is used by ${referrers.map((r) => `${r.kind} '${r.id}'`).join(', ')}; ` +
          'change or delete those first',
      );
      return 1;
    }
    const producer = await createProducer(kafka);
    try {
      await publish(producer, [
        tombstoneMessage({ tenant: options.tenant, kind: target.kind, id }, options.topic),
      ]);
    } finally {
      await producer.disconnect();
    }
    io.out(`${target.kind} ${id}: deleted`);
    return 0;
  });
}

/** Adds `apply`, `list` and `delete` under `cdp <command>`; returns the group for more subcommands. */
export function registerDefinitionCommands(program: Command, group: DefinitionGroup): Command {
  const cmd = program.command(group.command).description(`${group.kinds.join(' and ')} definitions`);
  cmd
    .command('apply')
    .argument('<file...>', 'JSON files, each one definition or an array of them')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--dry-run', 'validate and show what would change; publish nothing')
    .description(
      'validate every file, then publish the new and changed definitions (nothing when one is invalid)',
    )
    .action((files: string[], options: { tenant: string; dryRun?: boolean }) =>
      action((config) => applyDefinitions(config, group, files, options))(),
    );
  cmd
    .command('list')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--json', 'one JSON array')
    .description(`the tenant's ${group.command}`)
    .action((options: { tenant: string; json?: boolean }) =>
      action((config) => listDefinitions(config, group, options))(),
    );
  cmd
    .command('delete')
    .argument('<id>', 'the definition id')
    .requiredOption('--tenant <tenant>', 'tenant id')
    .option('--kind <kind>', `which kind, when the id names several (${group.kinds.join(', ')})`)
    .description('delete a definition (refused while another definition uses it)')
    .action((id: string, options: { tenant: string; kind?: string }) =>
      action((config) => deleteDefinition(config, group, id, options))(),
    );
  return cmd;
}
