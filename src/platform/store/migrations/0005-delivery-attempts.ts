import { Kysely } from 'kysely';

/**
 * Every attempt of a delivery, kept: a retry resets the delivery's attempt budget but not
 * what happened before it. `attempt` is a running number per delivery (it goes on growing
 * across retries, so the list is unambiguous). Rows go with their delivery (no other
 * retention); `error` is bounded as `deliveries.last_error` is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('delivery_attempts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('delivery_id', 'text', (c) => c.notNull().references('deliveries.id').onDelete('cascade'))
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('started_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text', (c) => c.notNull())
    .addColumn('duration_ms', 'integer')
    /** succeeded | failed | throttled | dead | interrupted */
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .execute();
  await db.schema
    .createIndex('delivery_attempts_delivery')
    .on('delivery_attempts')
    .columns(['delivery_id', 'attempt'])
    .execute();
}
