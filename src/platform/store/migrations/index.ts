import { Kysely, Migration, MigrationProvider, Migrator } from 'kysely';
import type { Database, Dialect } from '../database.js';
import * as m0001 from './0001-events.js';
import * as m0002 from './0002-deliveries.js';
import * as m0003 from './0003-delivery-hardening.js';
import * as m0004 from './0004-module-state.js';
import * as m0005 from './0005-delivery-attempts.js';
import * as m0006 from './0006-admin-indexes.js';
import * as m0007 from './0007-events-source-index.js';
import * as m0008 from './0008-sqlite-incremental-vacuum.js';
import * as m0009 from './0009-delivery-due-index.js';

export interface MigrationContext {
  dialect: Dialect;
}

type Step = { up(db: Kysely<unknown>, context: MigrationContext): Promise<void> };

/** One ordered list for both dialects; a step asks the context where a type name differs. */
const STEPS: Record<string, Step> = {
  '0001-events': m0001,
  '0002-deliveries': m0002,
  '0003-delivery-hardening': m0003,
  '0004-module-state': m0004,
  '0005-delivery-attempts': m0005,
  '0006-admin-indexes': m0006,
  '0007-events-source-index': m0007,
  '0008-sqlite-incremental-vacuum': m0008,
  '0009-delivery-due-index': m0009,
};

class CodeMigrationProvider implements MigrationProvider {
  constructor(private readonly context: MigrationContext) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    return Object.fromEntries(
      Object.entries(STEPS).map(([name, step]) => [
        name,
        { up: (db: Kysely<unknown>) => step.up(db, this.context) },
      ]),
    );
  }
}

/** Brings the schema to the latest version; returns the names of the steps applied now. */
export async function migrateToLatest(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  // 0005 came after 0006 and 0007 were released: a store that has those still takes it.
  const migrator = new Migrator({
    db,
    provider: new CodeMigrationProvider({ dialect }),
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
