import { Kysely } from 'kysely';

/** What integrations remember: Whippy id → outside id mappings, rotated tokens (ModuleStore). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('module_state')
    .addColumn('module', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('module_state_pk', ['module', 'kind', 'key'])
    .execute();
}
