import { Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

/**
 * SQLite keeps the pages of deleted rows in its file for reuse; retention wants them given
 * back. `auto_vacuum = INCREMENTAL` lets the pruning hand back a bounded number of pages per
 * transaction (`PRAGMA incremental_vacuum(N)`) instead of a full VACUUM that rewrites the file
 * and blocks every write while it does. The setting only takes effect on a file without tables
 * or through one VACUUM, so it is done here, once, at start and before any traffic: instant on
 * a new store (its tables are still empty); on an existing one it rewrites the file once
 * (it needs free disk space about the size of the file). PostgreSQL reclaims space with its own
 * autovacuum: nothing to do there.
 */
export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  if (dialect !== 'sqlite') return;
  const { rows } = await sql<{ auto_vacuum: number }>`PRAGMA auto_vacuum`.execute(db);
  if (rows[0]?.auto_vacuum === 2) return;
  await sql`PRAGMA auto_vacuum = INCREMENTAL`.execute(db);
  await sql`VACUUM`.execute(db);
}
