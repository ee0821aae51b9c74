import 'reflect-metadata';
import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../../mikro-orm.config.js';
import { validateEnvironment } from '../config/environment.js';
import { locateDatabase } from './database-location.js';
import { databaseSettingsFrom } from './database-settings.js';

/**
 * `npm run db:migrate|db:migrate:down|db:migration:create|db:migration:check`: the migrator on
 * the configured database, or on the embedded one when DATABASE_URL is unset.
 */
const COMMANDS = ['up', 'down', 'create', 'check', 'pending'] as const;
type Command = (typeof COMMANDS)[number];

async function run(command: Command, orm: MikroORM): Promise<number> {
  const migrator = orm.migrator;
  switch (command) {
    case 'up': {
      const applied = await migrator.up();
      console.log(applied.length ? `Applied: ${applied.map((m) => m.name).join(', ')}` : 'Nothing to apply.');
      return 0;
    }
    case 'down': {
      const reverted = await migrator.down();
      console.log(reverted.length ? `Reverted: ${reverted.map((m) => m.name).join(', ')}` : 'Nothing to revert.');
      return 0;
    }
    case 'create': {
      const initial = process.argv.includes('--initial');
      const result = await migrator.create(undefined, false, initial);
      console.log(result.diff.up.length ? `Created ${result.fileName}` : 'No changes: no migration created.');
      return 0;
    }
    case 'check': {
      // Against the snapshot (what the migrations describe), then against the live schema.
      const snapshotDrift = await migrator.checkSchema();
      const pending = await migrator.getPending();
      const liveDiff = pending.length
        ? ''
        : (await orm.schema.getUpdateSchemaMigrationSQL({ wrap: false })).up.trim();
      if (snapshotDrift || liveDiff) {
        console.error('The entities and the migrations disagree: run `npm run db:migration:create`.');
        if (liveDiff) {
          console.error(liveDiff);
        }
        return 1;
      }
      console.log(`The migrations match the entities${pending.length ? ` (${pending.length} pending)` : ''}.`);
      return 0;
    }
    case 'pending': {
      const pending = await migrator.getPending();
      console.log(pending.length ? pending.map((m) => m.name).join('\n') : 'No pending migrations.');
      return 0;
    }
  }
}

async function main(): Promise<number> {
  const command = process.argv[2] as Command;
  if (!COMMANDS.includes(command)) {
    console.error(`Usage: migration-cli <${COMMANDS.join('|')}>`);
    return 2;
  }
  const environment = validateEnvironment(process.env);
  const database = await locateDatabase(environment);
  console.log(`Database: ${database.description}`);
  const orm = await MikroORM.init(
    createOrmConfig({ ...databaseSettingsFrom(environment, database.url), preferTs: true }),
  );
  try {
    return await run(command, orm);
  } finally {
    await orm.close();
    await database.release();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : `Failed: ${String(error)}`);
    process.exit(1);
  },
);
