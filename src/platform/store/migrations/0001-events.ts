import { Kysely, sql } from 'kysely';
import type { MigrationContext } from './index.js';

export async function up(db: Kysely<unknown>, { dialect }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('raw_body', dialect === 'postgres' ? sql`bytea` : sql`blob`, (c) => c.notNull())
    .addColumn('headers', 'text', (c) => c.notNull())
    .addColumn('verification', 'text', (c) => c.notNull())
    .addColumn('errors', 'text')
    .addColumn('received_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('events_source_request_id', ['source', 'request_id'])
    .execute();
  await db.schema.createIndex('events_received_at').on('events').columns(['received_at']).execute();
  await db.schema.createIndex('events_type_id').on('events').columns(['type', 'id']).execute();
  await db.schema.createIndex('events_status_id').on('events').columns(['status', 'id']).execute();
}
