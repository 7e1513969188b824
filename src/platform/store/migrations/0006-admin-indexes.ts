import { Kysely } from 'kysely';

/**
 * `GET /admin/api/sources` counts events by source and status and reads each source's latest
 * time: this index answers that grouped query from the index alone, without the table's rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('events_source_status_received')
    .on('events')
    .columns(['source', 'status', 'received_at'])
    .execute();
}
