import { Kysely, sql } from 'kysely';

/**
 * Deliveries learn what the engine needs to stay safe under repeats and crashes:
 * - `throttles`: attempts a target throttled (RetryLater, 429, 503 with Retry-After), which do
 *   not count against maxAttempts until delivery.maxThrottledAttempts;
 * - `interruptions`: how often the process stopped while the delivery ran; past a bound the
 *   delivery is dead instead of crashing every restart;
 * - `dedupe_key`: `<event id>:<subscriber id>` on the delivery that routing or a backfill made,
 *   unique, so classifying an event twice or two backfills at once never make a second one
 *   (replays leave it null: they deliver again on purpose).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('deliveries')
    .addColumn('throttles', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('deliveries')
    .addColumn('interruptions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('deliveries').addColumn('dedupe_key', 'text').execute();
  // The first delivery of each (event, subscriber) is the routed one; later ones were replays.
  await sql`
    UPDATE deliveries SET dedupe_key = event_id || ':' || subscriber_id
    WHERE id IN (SELECT MIN(id) FROM deliveries GROUP BY event_id, subscriber_id)
  `.execute(db);
  await db.schema
    .createIndex('deliveries_dedupe_key')
    .unique()
    .on('deliveries')
    .column('dedupe_key')
    .execute();
  await db.schema
    .createIndex('deliveries_status_updated')
    .on('deliveries')
    .columns(['status', 'updated_at'])
    .execute();
  await db.schema
    .createIndex('deliveries_order')
    .on('deliveries')
    .columns(['subscriber_id', 'order_key', 'event_id'])
    .execute();
}
