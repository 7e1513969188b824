import { Kysely } from 'kysely';

/**
 * The in-process delivery queue keeps a bounded window of deliveries in memory and pages the
 * rest of a backlog from the store: a subscriber's failed deliveries whose retry is due, by
 * `next_attempt_at`, without a scan of the whole backlog (same on both dialects).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createIndex('deliveries_due')
    .on('deliveries')
    .columns(['subscriber_id', 'status', 'next_attempt_at'])
    .execute();
}
