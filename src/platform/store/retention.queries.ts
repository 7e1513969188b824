import type { Kysely } from 'kysely';
import type { Database, EventStatus } from './database.js';
import type { Statement } from './statement-runner.js';

/** Finished delivery statuses, each kept for its own period. */
export type FinishedStatus = 'succeeded' | 'dead';

/** Event statuses kept like succeeded deliveries; `received` and `held` are never pruned (unfinished). */
const DONE_EVENTS: EventStatus[] = ['routed', 'unrouted'];
/** Event statuses that need a fix, kept like dead deliveries. */
const FAILED_EVENTS: EventStatus[] = ['unknown', 'invalid'];

const statement = (compiled: { sql: string; parameters: readonly unknown[] }): Statement => ({
  sql: compiled.sql,
  parameters: compiled.parameters,
});

/**
 * One batch of expired deliveries (status, last updated before `before`) and their attempts,
 * in one write. The conditions are read again inside the write, so a delivery that a retry
 * claimed since is left alone; the SQL text is the same each batch (prepared once).
 * Returns [attempts, deliveries] statements; each returns the ids it deleted.
 */
export function expiredDeliveries(
  db: Kysely<Database>,
  status: FinishedStatus,
  before: string,
  limit: number,
): Statement[] {
  // Served by the (status, updated_at) index; a finished delivery's updated_at is when it finished.
  const batch = db
    .selectFrom('deliveries')
    .select('id')
    .where('status', '=', status)
    .where('updated_at', '<', before)
    .orderBy('updated_at')
    .limit(limit);
  return [
    statement(db.deleteFrom('delivery_attempts').where('delivery_id', 'in', batch).returning('id').compile()),
    statement(db.deleteFrom('deliveries').where('id', 'in', batch).returning('id').compile()),
  ];
}

/**
 * One batch of expired events that no delivery refers to any more: routed or unrouted ones
 * received before `before`, unknown or invalid ones before `deadBefore`. An event with a
 * delivery left (unfinished, or finished but still kept) stays. `from` walks the range across
 * batches, so events kept at its start are not read again each batch.
 */
export function expiredEvents(
  db: Kysely<Database>,
  cutoffs: { before: string; deadBefore: string; from: string },
  limit: number,
): Statement {
  const batch = db
    .selectFrom('events as e')
    .select('e.id')
    .where('e.received_at', '<', cutoffs.before)
    .where('e.received_at', '>=', cutoffs.from)
    .where((eb) =>
      eb.or([
        eb('e.status', 'in', DONE_EVENTS),
        eb.and([eb('e.status', 'in', FAILED_EVENTS), eb('e.received_at', '<', cutoffs.deadBefore)]),
      ]),
    )
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('deliveries as d').select('d.id').whereRef('d.event_id', '=', 'e.id'))),
    )
    .orderBy('e.received_at')
    .limit(limit);
  return statement(
    db.deleteFrom('events').where('id', 'in', batch).returning(['id', 'received_at']).compile(),
  );
}
