import type { Kysely } from 'kysely';
import type { Database, EventsTable } from './database.js';

export interface Recorded {
  id: string;
  duplicate: boolean;
}

/**
 * Commits a batch of new events in one transaction and says, for each, whether it was new
 * or the id of the event first stored under the same `(source, request_id)`.
 */
export interface EventWriter {
  write(rows: EventsTable[]): Promise<Recorded[]>;
  close(): Promise<void>;
}

/** The write path through Kysely: PostgreSQL, or any dialect without a dedicated writer. */
export class KyselyEventWriter implements EventWriter {
  constructor(private readonly db: Kysely<Database>) {}

  async write(rows: EventsTable[]): Promise<Recorded[]> {
    return this.db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('events')
        .values(rows)
        .onConflict((oc) => oc.columns(['source', 'request_id']).doNothing())
        .returning('id')
        .execute();
      const insertedIds = new Set(inserted.map((r) => r.id));
      const firstIds = new Map<string, string>();
      const missing = rows.filter((row) => !insertedIds.has(row.id));
      for (const source of new Set(missing.map((row) => row.source))) {
        const existing = await trx
          .selectFrom('events')
          .select(['id', 'request_id'])
          .where('source', '=', source)
          .where(
            'request_id',
            'in',
            missing.filter((row) => row.source === source).map((row) => row.request_id),
          )
          .execute();
        for (const row of existing) firstIds.set(`${source}\n${row.request_id}`, row.id);
      }
      return rows.map((row) =>
        insertedIds.has(row.id)
          ? { id: row.id, duplicate: false }
          : { id: firstIds.get(`${row.source}\n${row.request_id}`)!, duplicate: true },
      );
    });
  }

  async close(): Promise<void> {}
}
