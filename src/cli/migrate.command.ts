import { Command, CommandRunner } from 'nest-commander';
import { loadAppConfig } from '../app.config.js';
import { openStore } from '../platform/store/database.js';
import { migrateToLatest } from '../platform/store/migrations/index.js';
import { CliError, describeError } from './cli.error.js';

/** `switchyard migrate`: what the service does when it opens the store, as a release step of its own. */
@Command({
  name: 'migrate',
  description: 'bring the store (DATA_DIR, or DATABASE_URL) to the latest schema',
})
export class MigrateCommand extends CommandRunner {
  async run(): Promise<void> {
    const config = loadAppConfig({ requireSigningKeys: false });
    const store = openStore(config.store);
    try {
      let applied: string[];
      try {
        applied = await migrateToLatest(store.db, store.dialect);
      } catch (error) {
        throw new CliError(
          `migrating the ${store.dialect} store at ${store.location} failed: ${describeError(error)}`,
        );
      }
      const where = `${store.dialect} store at ${store.location}`;
      if (applied.length === 0) {
        process.stdout.write(`${where}: schema is up to date\n`);
      } else {
        process.stdout.write(`${where}: applied ${applied.length} migration(s)\n`);
        for (const name of applied) process.stdout.write(`  ${name}\n`);
      }
    } finally {
      await store.db.destroy();
    }
  }
}
