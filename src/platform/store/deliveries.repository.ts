import { Inject, Injectable } from '@nestjs/common';
import { ExpressionBuilder, SelectQueryBuilder, sql } from 'kysely';
import type { Database, DeliveriesTable, DeliveryStatus, Store } from './database.js';
import { idFactory } from './ids.js';
import type { Statement } from './statement-runner.js';
import { STORE } from './store.tokens.js';

/** What a run, a retry or a finish changes on a delivery. */
export interface DeliveryChange {
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  finishedAt: string | null;
  throttles: number;
}

/** Finished delivery statuses, each kept for its own period (retention). */
export type FinishedStatus = Extract<DeliveryStatus, 'succeeded' | 'dead'>;

/** The ids of one batch of deliveries, as a subquery for the statements that delete them. */
export type DeliveryBatch = SelectQueryBuilder<Database, 'deliveries', { id: string }>;

/** Why a delivery the process kept stopping on is dead; its last attempt says the same. */
export const crashLoop = (limit: number): string =>
  `the process stopped ${limit + 1} times while this delivery ran; it is dead to stop a crash loop`;

/** A delivery a repair may run again. */
const REPAIRABLE: DeliveryStatus[] = ['dead', 'failed'];
/** A delivery a worker may take for an attempt (when due). */
const RUNNABLE: DeliveryStatus[] = ['pending', 'failed'];
/** A delivery not yet succeeded or dead: what ordering waits for and a backlog counts. */
export const UNFINISHED = ['pending', 'running', 'failed'] as const satisfies readonly DeliveryStatus[];

/** Deliveries after a cursor in received order (event, then delivery): one page's filter. */
const afterCursor =
  (after: { eventId: string; id: string }) => (eb: ExpressionBuilder<Database, 'deliveries'>) =>
    eb.or([
      eb('event_id', '>', after.eventId),
      eb.and([eb('event_id', '=', after.eventId), eb('id', '>', after.id)]),
    ]);

const COLUMNS = [
  'id',
  'event_id',
  'subscriber_id',
  'status',
  'attempts',
  'next_attempt_at',
  'order_key',
  'last_error',
  'created_at',
  'updated_at',
  'finished_at',
  'throttles',
  'interruptions',
  'dedupe_key',
] as const satisfies readonly (keyof DeliveriesTable)[];

/**
 * The `deliveries` table: its writes, and the reads that run deliveries (the queues, recovery,
 * repairs). Writes are statements for the StoreWriter (one group commit with the events); the
 * frequent ones are compiled once by Kysely at start. The reads for people are
 * DeliveryReadsRepository's.
 */
@Injectable()
export class DeliveriesRepository {
  readonly nextId = idFactory();
  private readonly sql: { insert: string; insertForNewEvent: string; update: string };

  constructor(@Inject(STORE) private readonly store: Store) {
    const { db } = store;
    const sample = Object.fromEntries(COLUMNS.map((c) => [c, null])) as unknown as DeliveriesTable;
    this.sql = {
      // A second delivery with the same dedupe key is no delivery: the statement returns no row.
      insert: db
        .insertInto('deliveries')
        .values(sample)
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .returning('id')
        .compile().sql,
      // The same, only where the event row exists: in the commit that inserts a new event, a
      // duplicate's event insert does nothing and so do its deliveries.
      insertForNewEvent: db
        .insertInto('deliveries')
        .columns(COLUMNS)
        .expression(
          db.selectNoFrom(COLUMNS.map((c) => sql`${null}`.as(c))).where((eb) =>
            eb.exists(
              eb
                .selectFrom('events')
                .select(sql`1`.as('one'))
                .where('events.id', '=', ''),
            ),
          ),
        )
        .onConflict((oc) => oc.column('dedupe_key').doNothing())
        .returning('id')
        .compile().sql,
      update: db
        .updateTable('deliveries')
        .set({
          status: 'pending',
          attempts: 0,
          next_attempt_at: null,
          last_error: null,
          updated_at: '',
          finished_at: null,
          throttles: 0,
        })
        .where('id', '=', '')
        .compile().sql,
    };
  }

  /** Statements only; the caller commits them together through the StoreWriter. */
  insert(row: DeliveriesTable): Statement {
    return { sql: this.sql.insert, parameters: COLUMNS.map((c) => row[c]) };
  }

  /** insert(), effective only where its event is stored (see insertForNewEvent above). */
  insertForNewEvent(row: DeliveriesTable): Statement {
    return {
      sql: this.sql.insertForNewEvent,
      parameters: [...COLUMNS.map((c) => row[c]), row.event_id],
    };
  }

  update(id: string, change: DeliveryChange): Statement {
    const now = new Date().toISOString();
    return {
      sql: this.sql.update,
      parameters: [
        change.status,
        change.attempts,
        change.nextAttemptAt,
        change.lastError,
        now,
        change.finishedAt,
        change.throttles,
        id,
      ],
    };
  }

  /**
   * Takes a delivery for one attempt: `running`, one attempt more, only while it is pending
   * or failed and due. The statement returns the row to the one caller that took it, so a job
   * seen twice runs once.
   */
  claimForRun(id: string): Statement {
    const now = new Date().toISOString();
    return this.store.db
      .updateTable('deliveries')
      .set((eb) => ({ status: 'running', attempts: eb('attempts', '+', 1), updated_at: now }))
      .where('id', '=', id)
      .where('status', 'in', RUNNABLE)
      .where((eb) => eb.or([eb('next_attempt_at', 'is', null), eb('next_attempt_at', '<=', now)]))
      .returningAll()
      .compile();
  }

  /**
   * Claims failed or dead deliveries for a repair: back to pending with a fresh attempt
   * budget, only where they still are failed or dead. The rows it returns are the ones this
   * caller claimed; a repair running beside it gets the others, so none runs twice.
   */
  claimForRepair(ids: string[]): Statement {
    const now = new Date().toISOString();
    return this.store.db
      .updateTable('deliveries')
      .set({
        status: 'pending',
        attempts: 0,
        throttles: 0,
        next_attempt_at: null,
        finished_at: null,
        updated_at: now,
      })
      .where('id', 'in', ids)
      .where('status', 'in', REPAIRABLE)
      .returningAll()
      .compile();
  }

  /**
   * A delivery a stop cut off while `running`: counted, and past `limit` interruptions dead
   * (a crash loop) instead of run again. Otherwise it becomes `resume`: `running` at a start,
   * where recovery runs it again itself; `pending` when the sweep hands back the delivery of a
   * worker that died, which only takes one untouched since `staleBefore`. Returns the row as
   * updated; write DeliveryAttemptsRepository.interrupted() before it, in the same write.
   */
  interrupted(
    id: string,
    limit: number,
    resume: { status: 'running' } | { status: 'pending'; staleBefore: string },
  ): Statement {
    const now = new Date().toISOString();
    let q = this.store.db
      .updateTable('deliveries')
      .set((eb) => ({
        interruptions: eb('interruptions', '+', 1),
        status: eb
          .case()
          .when('interruptions', '>=', limit)
          .then(eb.val<DeliveryStatus>('dead'))
          .else(eb.val<DeliveryStatus>(resume.status))
          .end(),
        finished_at: eb.case().when('interruptions', '>=', limit).then(now).else(null).end(),
        last_error: eb
          .case()
          .when('interruptions', '>=', limit)
          .then(crashLoop(limit))
          .else(eb.ref('last_error'))
          .end(),
        updated_at: now,
      }))
      .where('id', '=', id)
      .where('status', '=', 'running');
    if (resume.status === 'pending') q = q.where('updated_at', '<', resume.staleBefore);
    return q.returningAll().compile();
  }

  /**
   * One batch of expired deliveries: finished with `status`, last updated before `before`.
   * A subquery, read again inside the write that deletes the batch, so a delivery a retry
   * claimed since is left alone; its SQL text is the same each batch (prepared once). Served
   * by the (status, updated_at) index; a finished delivery's updated_at is when it finished.
   */
  expired(status: FinishedStatus, before: string, limit: number): DeliveryBatch {
    return this.store.db
      .selectFrom('deliveries')
      .select('id')
      .where('status', '=', status)
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit);
  }

  /** Deletes a batch (write its attempts' delete first, in the same write); returns the ids. */
  deleteBatch(batch: DeliveryBatch): Statement {
    const { sql, parameters } = this.store.db
      .deleteFrom('deliveries')
      .where('id', 'in', batch)
      .returning('id')
      .compile();
    return { sql, parameters };
  }

  get(id: string): Promise<DeliveriesTable | undefined> {
    return this.store.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Unfinished deliveries (pending, running, failed) in received order, after a cursor. */
  unfinished(after: { eventId: string; id: string } | undefined, limit: number): Promise<DeliveriesTable[]> {
    let q = this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', 'in', UNFINISHED)
      .orderBy('event_id')
      .orderBy('id')
      .limit(limit);
    if (after) q = q.where(afterCursor(after));
    return q.execute();
  }

  /** Dead deliveries of a subscriber in received order (event, then delivery), after a cursor. */
  dead(subscriberId: string, after: { eventId: string; id: string } | undefined, limit: number) {
    let q = this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('status', '=', 'dead')
      .orderBy('event_id')
      .orderBy('id')
      .limit(limit);
    if (after) q = q.where(afterCursor(after));
    return q.execute();
  }

  /** A subscriber's pending deliveries in id order after a cursor: a backlog paged into memory. */
  pendingOf(subscriberId: string, after: string | undefined, limit: number): Promise<DeliveriesTable[]> {
    let q = this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .limit(limit);
    if (after) q = q.where('id', '>', after);
    return q.execute();
  }

  /** A subscriber's failed deliveries whose retry is due by `until`, soonest first. */
  dueRetries(subscriberId: string, until: string, limit: number): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('status', '=', 'failed')
      .where('next_attempt_at', '<=', until)
      .orderBy('next_attempt_at')
      .limit(limit)
      .execute();
  }

  /** Deliveries that were running when a process stopped, after a cursor (id order). */
  running(after: string | undefined, limit: number): Promise<DeliveriesTable[]> {
    let q = this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', '=', 'running')
      .orderBy('id')
      .limit(limit);
    if (after) q = q.where('id', '>', after);
    return q.execute();
  }

  /** Deliveries `running` and untouched since `before`: their worker is gone. */
  stale(before: string, limit: number): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', '=', 'running')
      .where('updated_at', '<', before)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  }

  /** Pending deliveries changed since a time (made or claimed by any process), oldest change first. */
  pendingSince(since: string, limit: number): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('status', '=', 'pending')
      .where('updated_at', '>=', since)
      .orderBy('updated_at')
      .limit(limit)
      .execute();
  }

  /**
   * Deliveries of the same subscriber and key that came before this one (received order) and
   * are unfinished, or dead when `withDead`: what an ordered delivery waits for.
   */
  olderOfKey(
    row: { id: string; event_id: string; subscriber_id: string; order_key: string },
    withDead: boolean,
    limit: number,
  ): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('subscriber_id', '=', row.subscriber_id)
      .where('order_key', '=', row.order_key)
      .where('status', 'in', withDead ? [...UNFINISHED, 'dead'] : UNFINISHED)
      .where((eb) =>
        eb.or([
          eb('event_id', '<', row.event_id),
          eb.and([eb('event_id', '=', row.event_id), eb('id', '<', row.id)]),
        ]),
      )
      .orderBy('event_id')
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** The oldest unfinished delivery of a (subscriber, key): the one that may run next. */
  head(subscriberId: string, orderKey: string): Promise<DeliveriesTable | undefined> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('subscriber_id', '=', subscriberId)
      .where('order_key', '=', orderKey)
      .where('status', 'in', UNFINISHED)
      .orderBy('event_id')
      .orderBy('id')
      .limit(1)
      .executeTakeFirst();
  }

  /**
   * Pending or failed deliveries due before `dueBy`, untouched since `before` (the ones made
   * just now are on their way to the queue), that no older unfinished delivery of their
   * (subscriber, key) precedes; from the cursor on, in id order.
   */
  heads(options: {
    dueBy: string;
    before: string;
    after?: string;
    limit: number;
  }): Promise<DeliveriesTable[]> {
    let q = this.store.db
      .selectFrom('deliveries as d')
      .selectAll('d')
      .where('d.status', 'in', RUNNABLE)
      .where('d.updated_at', '<', options.before)
      .where((eb) =>
        eb.or([eb('d.next_attempt_at', 'is', null), eb('d.next_attempt_at', '<=', options.dueBy)]),
      )
      .where((eb) =>
        eb.or([
          eb('d.order_key', 'is', null),
          eb.not(
            eb.exists(
              eb
                .selectFrom('deliveries as o')
                .select('o.id')
                .whereRef('o.subscriber_id', '=', 'd.subscriber_id')
                .whereRef('o.order_key', '=', 'd.order_key')
                .where('o.status', 'in', UNFINISHED)
                .where((o) =>
                  o.or([
                    o('o.event_id', '<', o.ref('d.event_id')),
                    o.and([o('o.event_id', '=', o.ref('d.event_id')), o('o.id', '<', o.ref('d.id'))]),
                  ]),
                ),
            ),
          ),
        ]),
      )
      .orderBy('d.id')
      .limit(options.limit);
    if (options.after) q = q.where('d.id', '>', options.after);
    return q.execute();
  }

  /** Ids of the events among these that already have a delivery for the subscriber. */
  async delivered(subscriberId: string, eventIds: string[]): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await this.store.db
      .selectFrom('deliveries')
      .select('event_id')
      .where('subscriber_id', '=', subscriberId)
      .where('event_id', 'in', eventIds)
      .execute();
    return new Set(rows.map((row) => row.event_id));
  }
}
