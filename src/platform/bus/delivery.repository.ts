import { Inject, Injectable } from '@nestjs/common';
import { ExpressionBuilder, sql } from 'kysely';
import type { Database, DeliveriesTable, Store } from '../inbox/database.js';
import { STORE } from '../inbox/inbox.tokens.js';
import type { Statement } from '../inbox/statement-runner.js';
import { StoreWriter } from '../inbox/store-writer.service.js';
import { idFactory } from '../inbox/ids.js';

export type DeliveryStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'dead';

/** How one attempt ended. */
export type AttemptOutcome = 'succeeded' | 'failed' | 'throttled' | 'dead' | 'interrupted';

/** One attempt as the admin API shows it; `attempt` keeps counting across retries. */
export interface AttemptView {
  attempt: number;
  startedAt: string;
  finishedAt: string;
  durationMs: number | null;
  outcome: string;
  error: string | null;
}

/** The admin API shows this many attempts of a delivery at most: the last ones. */
export const HISTORY_LIMIT = 50;

/** A delivery as the admin API shows it. */
export interface DeliveryView {
  id: string;
  eventId: string;
  subscriberId: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastError: string | null;
  createdAt: string;
  updatedAt: string;
  finishedAt: string | null;
  /** Attempts the target throttled (RetryLater, 429, 503 with Retry-After). */
  throttles: number;
  /** Its attempts, oldest first (the last HISTORY_LIMIT), kept across retries. */
  history?: AttemptView[];
  /** A pending delivery of an ordered key waits for the oldest unfinished one of that key. */
  waitingFor?: string;
  /** Why it does not run yet, in words: `waiting for <delivery id>`. */
  reason?: string;
}

export const toView = (row: DeliveriesTable): DeliveryView => ({
  id: row.id,
  eventId: row.event_id,
  subscriberId: row.subscriber_id,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastError: row.last_error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
  finishedAt: row.finished_at,
  throttles: row.throttles,
});

/** Why a delivery the process kept stopping on is dead. */
const crashLoop = (limit: number): string =>
  `the process stopped ${limit + 1} times while this delivery ran; it is dead to stop a crash loop`;

/** Deliveries after a cursor in received order (event, then delivery): one page's filter. */
const afterCursor =
  (after: { eventId: string; id: string }) => (eb: ExpressionBuilder<Database, 'deliveries'>) =>
    eb.or([
      eb('event_id', '>', after.eventId),
      eb.and([eb('event_id', '=', after.eventId), eb('id', '>', after.id)]),
    ]);

/** A delivery a repair may run again, and what it is then. */
const REPAIRABLE = ['dead', 'failed'];
const UNFINISHED = ['pending', 'running', 'failed'];

const DELIVERY_COLUMNS = [
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
 * Reads and writes of deliveries and event statuses. Writes go through the StoreWriter (one
 * group commit with the events); the frequent ones are compiled once by Kysely at start.
 */
@Injectable()
export class DeliveryRepository {
  readonly nextId = idFactory();
  private readonly sql: {
    insert: string;
    insertForNewEvent: string;
    update: string;
    eventStatus: string;
    attempt: string;
  };

  constructor(
    @Inject(STORE) private readonly store: Store,
    private readonly writer: StoreWriter,
  ) {
    const { db } = store;
    const sample = Object.fromEntries(DELIVERY_COLUMNS.map((c) => [c, null])) as unknown as DeliveriesTable;
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
        .columns(DELIVERY_COLUMNS)
        .expression(
          db.selectNoFrom(DELIVERY_COLUMNS.map((c) => sql`${null}`.as(c))).where((eb) =>
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
          status: '',
          attempts: 0,
          next_attempt_at: null,
          last_error: null,
          updated_at: '',
          finished_at: null,
          throttles: 0,
        })
        .where('id', '=', '')
        .compile().sql,
      attempt: this.attemptInsert('', {
        startedAt: 0,
        finishedAt: 0,
        outcome: 'succeeded',
        error: null,
      }).sql,
      eventStatus: db
        .updateTable('events')
        .set({ status: '', errors: null, updated_at: '' })
        .where('id', '=', '')
        .compile().sql,
    };
  }

  /** Statements only; the caller commits them together through write(). */
  insert(row: DeliveriesTable): Statement {
    return { sql: this.sql.insert, parameters: DELIVERY_COLUMNS.map((c) => row[c]) };
  }

  /** insert(), effective only where its event is stored (see insertForNewEvent above). */
  insertForNewEvent(row: DeliveriesTable): Statement {
    return {
      sql: this.sql.insertForNewEvent,
      parameters: [...DELIVERY_COLUMNS.map((c) => row[c]), row.event_id],
    };
  }

  update(
    id: string,
    change: {
      status: DeliveryStatus;
      attempts: number;
      nextAttemptAt: string | null;
      lastError: string | null;
      finishedAt: string | null;
      throttles: number;
    },
  ): Statement {
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
   * One settled attempt, for the same write as the delivery's status: its number is the
   * delivery's last one plus one, so it keeps growing across retries (which reset `attempts`).
   */
  attempt(
    deliveryId: string,
    attempt: { startedAt: number; finishedAt: number; outcome: AttemptOutcome; error: string | null },
  ): Statement {
    // Compiled once at start (attemptInsert); the parameters in its order.
    return {
      sql: this.sql.attempt,
      parameters: [
        this.nextId(),
        deliveryId,
        deliveryId,
        new Date(attempt.startedAt).toISOString(),
        new Date(attempt.finishedAt).toISOString(),
        Math.max(0, Math.round(attempt.finishedAt - attempt.startedAt)),
        attempt.outcome,
        attempt.error,
      ],
    };
  }

  private attemptInsert(
    deliveryId: string,
    attempt: { startedAt: number; finishedAt: number; outcome: AttemptOutcome; error: string | null },
  ) {
    return this.store.db
      .insertInto('delivery_attempts')
      .values({
        id: this.nextId(),
        delivery_id: deliveryId,
        attempt: this.nextAttempt(deliveryId),
        started_at: new Date(attempt.startedAt).toISOString(),
        finished_at: new Date(attempt.finishedAt).toISOString(),
        duration_ms: Math.max(0, Math.round(attempt.finishedAt - attempt.startedAt)),
        outcome: attempt.outcome,
        error: attempt.error,
      })
      .compile();
  }

  private nextAttempt(deliveryId: string) {
    return this.store.db
      .selectFrom('delivery_attempts')
      .select(sql<number>`coalesce(max(attempt), 0) + 1`.as('next'))
      .where('delivery_id', '=', deliveryId);
  }

  /**
   * Claims failed or dead deliveries for a repair: back to pending with a fresh attempt
   * budget, only where they still are failed or dead. The rows it returns are the ones this
   * caller claimed; a repair running beside it gets the others, so none runs twice.
   */
  claim(ids: string[]): Statement {
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
   * At a start, a delivery that was `running` was cut off by the process stopping: count it,
   * and past `limit` make it dead instead of running it again. Returns the row as updated.
   */
  interrupted(id: string, limit: number): Statement {
    const now = new Date().toISOString();
    return this.store.db
      .updateTable('deliveries')
      .set((eb) => ({
        interruptions: eb('interruptions', '+', 1),
        status: eb.case().when('interruptions', '>=', limit).then('dead').else(eb.ref('status')).end(),
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
      .where('status', '=', 'running')
      .returningAll()
      .compile();
  }

  /**
   * The attempt a stop cut off, written before interrupted() in the same write (only while
   * the delivery is still `running`): it started when the delivery was set running, and it
   * is `dead` when interrupted() makes the delivery dead. How long it ran is unknown.
   */
  interruptedAttempt(id: string, limit: number): Statement {
    const now = new Date().toISOString();
    return this.store.db
      .insertInto('delivery_attempts')
      .columns(['id', 'delivery_id', 'attempt', 'started_at', 'finished_at', 'outcome', 'error'])
      .expression((eb) =>
        eb
          .selectFrom('deliveries')
          .select((s) => [
            sql<string>`cast(${this.nextId()} as text)`.as('id'),
            'id as delivery_id',
            this.nextAttempt(id).as('attempt'),
            'updated_at as started_at',
            sql<string>`cast(${now} as text)`.as('finished_at'),
            s
              .case()
              .when('interruptions', '>=', limit)
              .then(sql<string>`'dead'`)
              .else(sql<string>`'interrupted'`)
              .end()
              .as('outcome'),
            s
              .case()
              .when('interruptions', '>=', limit)
              .then(sql<string>`cast(${crashLoop(limit)} as text)`)
              .else(sql<string>`'the process stopped while this attempt ran'`)
              .end()
              .as('error'),
          ])
          .where('id', '=', id)
          .where('status', '=', 'running'),
      )
      .compile();
  }

  /** The last HISTORY_LIMIT attempts of each delivery, oldest first. */
  async history(deliveryIds: string[]): Promise<Map<string, AttemptView[]>> {
    const lists = await Promise.all(
      deliveryIds.map((id) =>
        this.store.db
          .selectFrom('delivery_attempts')
          .selectAll()
          .where('delivery_id', '=', id)
          .orderBy('attempt', 'desc')
          .limit(HISTORY_LIMIT)
          .execute(),
      ),
    );
    return new Map(
      deliveryIds.map((id, i) => [
        id,
        lists[i].reverse().map((row) => ({
          attempt: Number(row.attempt),
          startedAt: row.started_at,
          finishedAt: row.finished_at,
          durationMs: row.duration_ms === null ? null : Number(row.duration_ms),
          outcome: row.outcome,
          error: row.error,
        })),
      ]),
    );
  }

  eventStatus(eventId: string, status: string, errors?: unknown): Statement {
    return {
      sql: this.sql.eventStatus,
      parameters: [
        status,
        errors === undefined ? null : JSON.stringify(errors),
        new Date().toISOString(),
        eventId,
      ],
    };
  }

  write(statements: Statement[]): Promise<unknown[][]> {
    return this.writer.write(statements);
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

  /** The admin view, with `waiting for <id>` on an ordered delivery that waits for an older one. */
  async views(rows: DeliveriesTable[], holds: (subscriberId: string) => boolean): Promise<DeliveryView[]> {
    return Promise.all(
      rows.map(async (row) => {
        const view = toView(row);
        if ((row.status !== 'pending' && row.status !== 'failed') || row.order_key === null) return view;
        const withDead = holds(row.subscriber_id);
        const [head] = await this.olderOfKey({ ...row, order_key: row.order_key }, withDead, 1);
        return head ? { ...view, waitingFor: head.id, reason: `waiting for ${head.id}` } : view;
      }),
    );
  }

  get(id: string): Promise<DeliveriesTable | undefined> {
    return this.store.db.selectFrom('deliveries').selectAll().where('id', '=', id).executeTakeFirst();
  }

  ofEvent(eventId: string): Promise<DeliveriesTable[]> {
    return this.store.db
      .selectFrom('deliveries')
      .selectAll()
      .where('event_id', '=', eventId)
      .orderBy('id')
      .execute();
  }

  list(filter: {
    status?: string;
    subscriber?: string;
    eventId?: string;
    before?: string;
    limit: number;
  }): Promise<DeliveriesTable[]> {
    let q = this.store.db.selectFrom('deliveries').selectAll().orderBy('id', 'desc').limit(filter.limit);
    if (filter.status) q = q.where('status', '=', filter.status);
    if (filter.subscriber) q = q.where('subscriber_id', '=', filter.subscriber);
    if (filter.eventId) q = q.where('event_id', '=', filter.eventId);
    if (filter.before) q = q.where('id', '<', filter.before);
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

  /** Events still waiting for classification that arrived before this one. */
  async unclassifiedBefore(eventId: string): Promise<boolean> {
    const row = await this.store.db
      .selectFrom('events')
      .select('id')
      .where('status', '=', 'received')
      .where('id', '<', eventId)
      .limit(1)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Stored events in id (= arrival) order, with what classification needs. */
  events(filter: {
    ids?: string[];
    statuses?: string[];
    sources?: string[];
    types?: string[];
    since?: string;
    until?: string;
    after?: string;
    limit: number;
  }) {
    let q = this.store.db
      .selectFrom('events')
      .select(['id', 'source', 'request_id', 'type', 'status', 'raw_body', 'received_at'])
      .orderBy('id')
      .limit(filter.limit);
    if (filter.ids) q = q.where('id', 'in', filter.ids);
    if (filter.statuses) q = q.where('status', 'in', filter.statuses);
    if (filter.sources) q = q.where('source', 'in', filter.sources);
    if (filter.types) q = q.where('type', 'in', filter.types);
    if (filter.since) q = q.where('received_at', '>=', filter.since);
    if (filter.until) q = q.where('received_at', '<', filter.until);
    if (filter.after) q = q.where('id', '>', filter.after);
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
