import { Inject, Injectable } from '@nestjs/common';
import { sql } from 'kysely';
import type { AttemptOutcome, DeliveryAttemptsTable, Store } from './database.js';
import { crashLoop, type DeliveryBatch } from './deliveries.repository.js';
import { idFactory } from './ids.js';
import type { Statement } from './statement-runner.js';
import { STORE } from './store.tokens.js';

/** One settled attempt, as the runner measured it. */
export interface SettledAttempt {
  startedAt: number;
  finishedAt: number;
  outcome: AttemptOutcome;
  error: string | null;
}

/**
 * The `delivery_attempts` table: one row per attempt, kept across retries. Its `attempt`
 * number is the delivery's last one plus one, so it keeps growing when a retry resets the
 * delivery's `attempts`. Writes are statements for the same write as the delivery's status.
 */
@Injectable()
export class DeliveryAttemptsRepository {
  private readonly nextId = idFactory();
  private readonly insertSql: string;

  constructor(@Inject(STORE) private readonly store: Store) {
    // Compiled once at start; record() binds its parameters in this order.
    this.insertSql = this.insertOf('', {
      startedAt: 0,
      finishedAt: 0,
      outcome: 'succeeded',
      error: null,
    }).sql;
  }

  record(deliveryId: string, attempt: SettledAttempt): Statement {
    return {
      sql: this.insertSql,
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

  private insertOf(deliveryId: string, attempt: SettledAttempt) {
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
   * The attempt a stop cut off, written before DeliveriesRepository.interrupted() in the same
   * write (only while the delivery is still `running`): it started when the delivery was set
   * running, and it is `dead` when interrupted() makes the delivery dead. How long it ran is
   * unknown.
   */
  interrupted(deliveryId: string, limit: number): Statement {
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
            this.nextAttempt(deliveryId).as('attempt'),
            'updated_at as started_at',
            sql<string>`cast(${now} as text)`.as('finished_at'),
            s
              .case()
              .when('interruptions', '>=', limit)
              .then(sql<AttemptOutcome>`'dead'`)
              .else(sql<AttemptOutcome>`'interrupted'`)
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
          .where('id', '=', deliveryId)
          .where('status', '=', 'running'),
      )
      .compile();
  }

  /** Deletes the attempts of a batch of deliveries (before the deliveries); returns the ids. */
  deleteOf(batch: DeliveryBatch): Statement {
    const { sql, parameters } = this.store.db
      .deleteFrom('delivery_attempts')
      .where('delivery_id', 'in', batch)
      .returning('id')
      .compile();
    return { sql, parameters };
  }

  /** The last `limit` attempts of each delivery, oldest first. */
  async history(deliveryIds: string[], limit: number): Promise<Map<string, DeliveryAttemptsTable[]>> {
    const lists = await Promise.all(
      deliveryIds.map((id) =>
        this.store.db
          .selectFrom('delivery_attempts')
          .selectAll()
          .where('delivery_id', '=', id)
          .orderBy('attempt', 'desc')
          .limit(limit)
          .execute(),
      ),
    );
    return new Map(deliveryIds.map((id, i) => [id, lists[i].reverse()]));
  }
}
