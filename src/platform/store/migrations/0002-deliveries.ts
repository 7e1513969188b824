import { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deliveries')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('event_id', 'text', (c) => c.notNull().references('events.id'))
    .addColumn('subscriber_id', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'text')
    .addColumn('order_key', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addColumn('finished_at', 'text')
    .execute();
  await db.schema.createIndex('deliveries_event').on('deliveries').columns(['event_id']).execute();
  await db.schema
    .createIndex('deliveries_status')
    .on('deliveries')
    .columns(['status', 'subscriber_id'])
    .execute();
  await db.schema
    .createIndex('deliveries_subscriber')
    .on('deliveries')
    .columns(['subscriber_id', 'status', 'id'])
    .execute();
}
