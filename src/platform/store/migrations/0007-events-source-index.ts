import { Kysely } from 'kysely';

/** The newest event of a source, and its count over a recent range, without a scan (the doctor). */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('events_source_id').on('events').columns(['source', 'id']).execute();
}
