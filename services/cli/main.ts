// The `cdp` command.
import { Command } from 'commander';
import { action } from './cli-action';
import { registerDefinitionCommands } from './commands/definitions-command';
import { registerJourneyStatus } from './commands/journey-status-command';
import { registerDestinationReplay } from './commands/destinations-replay-command';
import { registerSegmentsCommands } from './commands/segments-command';
import { demoCommand } from './commands/demo-command';
import { registerImportCommand } from './commands/import-command';
import { identityRebuild, identityRepairSnapshots } from './commands/identity-command';
import { keysCreate } from './commands/keys-command';
import { migrateCommand } from './commands/migrate-command';
import { privacyCommands } from './commands/privacy-command';
import { profileGet } from './commands/profile-command';
import { runCommand } from './commands/run-command';
import { down, status, up } from './commands/stack-commands';
import { topicsApply, topicsList } from './commands/topics-command';

const program = new Command('cdp').description('Customer data platform core').showHelpAfterError();

program
  .command('up')
  .description('install (when missing) and start the local stack, then health-check it')
  .action(action(up));
program.command('down').description('stop the local stack (data is kept)').action(action(down));
program.command('status').description('health-check every service of the stack').action(action(status));
program
  .command('run')
  .argument('<service>', "a service name, or 'all'")
  .description('run a service (or all of them) in this process until SIGTERM')
  .action(action(runCommand));
const topics = program.command('topics').description('Kafka topics');
topics
  .command('apply')
  .option('--yes', 'also grow partition counts (without it, a plan that does exits 1 and applies nothing)')
  .description('create or update topics and register their schemas')
  .action((options: { yes?: boolean }) => action((config) => topicsApply(config, options))());
topics.command('list').description('the topics as defined in code').action(action(topicsList));
program.command('migrate').description('apply ClickHouse migrations').action(action(migrateCommand));
const profile = program.command('profile').description('profiles in the identity graph');
profile
  .command('get')
  .argument('<identifier>', 'an identifier as type:value, e.g. email:ann@example.com')
  .option('--tenant <tenant>', 'tenant id', 'demo')
  .option('--json', 'print one JSON object')
  .description('show the live profile holding an identifier')
  // Options are bound here: action() passes only the string arguments on.
  .action((identifier: string, options: { tenant: string; json?: boolean }) =>
    action((config) => profileGet(config, identifier, options))(),
  );
program
  .command('keys')
  .description('API keys')
  .command('create')
  .requiredOption('--tenant <tenant>', 'tenant id')
  .option('--read', 'a read key for the profile API')
  .option('--privacy', 'a privacy key: makes privacy requests over the profile API, reads nothing')
  .option('--json', 'print {"tenant", "key", "kind"}')
  .description('create a key; it is printed once and only its SHA-256 is stored in the tenants file')
  .action((options: { tenant: string; read?: boolean; privacy?: boolean; json?: boolean }) =>
    action((config) => keysCreate(config, options))(),
  );
const identity = program.command('identity').description('the identity graph');
identity
  .command('rebuild')
  .option('--tenant <tenant>', 'restore only this tenant (default: every tenant)')
  .option(
    '--group <group>',
    "the resolver's consumer group, which must have no members",
    'cdp-identity-resolver',
  )
  .description('restore the Redis identity graph from the compacted cdp.profiles.v1 topic')
  .action((options: { tenant?: string; group: string }) =>
    action((config) => identityRebuild(config, options))(),
  );
identity
  .command('repair-snapshots')
  .option('--tenant <tenant>', 'check only this tenant (default: every tenant)')
  .description(
    'append the current Redis state of every profile whose last snapshot on cdp.profiles.v1 is behind it',
  )
  .action((options: { tenant?: string }) => action((config) => identityRepairSnapshots(config, options))());
registerSegmentsCommands(
  registerDefinitionCommands(program, { command: 'segments', kinds: ['segment', 'computed_trait'] }),
);
registerDefinitionCommands(program, { command: 'destinations', kinds: ['destination'] });
registerDestinationReplay(program);
registerJourneyStatus(registerDefinitionCommands(program, { command: 'journeys', kinds: ['journey'] }));
program
  .command('demo')
  .description('send a seeded sample shop through the whole pipeline and show the results')
  .action(action(demoCommand));
registerImportCommand(program, action);

privacyCommands(program, action);

void program.parseAsync(process.argv);
