import { Worker } from 'node:worker_threads';
import { CompiledQuery, Kysely, Transaction } from 'kysely';
import type { Database } from './database.js';
import { sqliteDriverPath } from './sqlite-driver.js';

/** A statement compiled by Kysely for the store's own dialect: SQL text and its parameters. */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

/** One caller's statements: they commit together or not at all. */
export type StatementGroup = readonly Statement[];

/** What one group got in an isolated run: the rows of each statement, or why it was rolled back. */
export type GroupOutcome = { rows: unknown[][] } | { error: string };

export interface StatementRunner {
  /** Runs every group in one transaction, all or nothing; returns each group's rows. */
  run(groups: readonly StatementGroup[]): Promise<unknown[][][]>;
  /**
   * Runs every group in one transaction, each under its own savepoint: a group that fails is
   * rolled back alone and reported, the others commit. Throws when the commit itself fails.
   */
  runIsolated(groups: readonly StatementGroup[]): Promise<GroupOutcome[]>;
  close(): Promise<void>;
}

/** PostgreSQL (and any dialect without a dedicated runner): a Kysely transaction. */
export class KyselyStatementRunner implements StatementRunner {
  constructor(private readonly db: Kysely<Database>) {}

  run(groups: readonly StatementGroup[]): Promise<unknown[][][]> {
    return this.db.transaction().execute(async (trx) => {
      const results: unknown[][][] = [];
      for (const group of groups) results.push(await runGroup(trx, group));
      return results;
    });
  }

  runIsolated(groups: readonly StatementGroup[]): Promise<GroupOutcome[]> {
    return this.db.transaction().execute(async (trx) => {
      const outcomes: GroupOutcome[] = [];
      for (const group of groups) {
        await trx.executeQuery(CompiledQuery.raw('SAVEPOINT switchyard_group'));
        try {
          const rows = await runGroup(trx, group);
          await trx.executeQuery(CompiledQuery.raw('RELEASE SAVEPOINT switchyard_group'));
          outcomes.push({ rows });
        } catch (error) {
          // A failure here (the connection is gone) ends the whole run: nothing commits.
          await trx.executeQuery(CompiledQuery.raw('ROLLBACK TO SAVEPOINT switchyard_group'));
          outcomes.push({ error: (error as Error).message });
        }
      }
      return outcomes;
    });
  }

  async close(): Promise<void> {}
}

async function runGroup(trx: Transaction<Database>, group: StatementGroup): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for (const { sql, parameters } of group) {
    rows.push((await trx.executeQuery(CompiledQuery.raw(sql, [...parameters]))).rows);
  }
  return rows;
}

/**
 * Runs in the worker thread: a connection of its own, one transaction per call, statements
 * prepared once. Free of imports and closures because it is shipped as source text, which
 * works the same from dist/ and from the TypeScript that the tests run.
 *
 * A message names each statement by a number: the SQL text crosses to the thread once, in the
 * message that first uses it (`define`), instead of being copied into every message.
 */
function writerThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads');
  const SQLite = require(workerData.driverPath);
  const db = new SQLite(workerData.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const PRAGMA = /^\s*pragma\s+/i;
  // By statement number: its SQL, and once first run its prepared statement (or, for a PRAGMA,
  // the text pragma() takes).
  const texts: string[] = [];
  const prepared: (
    { reader: boolean; all(...p: unknown[]): unknown[]; run(...p: unknown[]): unknown } | string
  )[] = [];
  const prepare = (id: number) => {
    let statement = prepared[id];
    if (statement === undefined) {
      const sql = texts[id];
      // A PRAGMA such as incremental_vacuum does one step of its work per run(); pragma()
      // steps it to the end.
      statement = PRAGMA.test(sql) ? sql.replace(PRAGMA, '') : db.prepare(sql);
      prepared[id] = statement!;
    }
    return statement!;
  };
  /** A group is `[statement number, parameters, statement number, parameters, …]`. */
  type Group = unknown[];
  const runGroup = (group: Group) => {
    const rows: unknown[] = [];
    for (let i = 0; i < group.length; i += 2) {
      const statement = prepare(group[i] as number);
      const parameters = group[i + 1] as unknown[];
      if (typeof statement === 'string') rows.push(db.pragma(statement));
      else if (statement.reader) rows.push(statement.all(...parameters));
      else {
        statement.run(...parameters);
        rows.push([]);
      }
    }
    return rows;
  };
  const all = db.transaction((groups: Group[]) => {
    const results: unknown[] = [];
    for (const group of groups) results.push(runGroup(group));
    return results;
  });
  // Called inside a transaction, a better-sqlite3 transaction function is a savepoint.
  const savepoint = db.transaction(runGroup);
  const isolated = db.transaction((groups: Group[]) =>
    groups.map((group) => {
      try {
        return { rows: savepoint(group) };
      } catch (error) {
        // Some errors (disk full, I/O) make SQLite roll back the whole transaction; what ran
        // after would then commit on its own, so the run stops and nothing is reported stored.
        if (!db.inTransaction) throw error;
        return { error: (error as Error).message };
      }
    }),
  );
  parentPort.on(
    'message',
    (message: { seq: number; define?: [number, string][]; groups: Group[]; isolate: boolean } | 'close') => {
      if (message === 'close') {
        db.close();
        parentPort.postMessage('closed');
        return;
      }
      if (message.define) for (const [id, sql] of message.define) texts[id] = sql;
      try {
        const run = message.isolate ? isolated : all;
        parentPort.postMessage({ seq: message.seq, results: run(message.groups) });
      } catch (error) {
        parentPort.postMessage({ seq: message.seq, error: (error as Error).message });
      }
    },
  );
}

type Reply = { seq: number; results?: unknown[]; error?: string } | 'closed';

/**
 * SQLite writes (and their fsync) run on a worker thread, so the event loop keeps reading and
 * verifying requests while a transaction is made durable. better-sqlite3 is synchronous: on
 * the main thread each fsync would stop every request for its whole duration.
 */
export class SqliteWorkerRunner implements StatementRunner {
  private worker?: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(r: unknown[]): void; reject(e: Error): void }>();
  private readonly workerData: { driverPath: string; file: string };
  /** The number of each SQL text the running thread has been sent. */
  private readonly sqlIds = new Map<string, number>();
  private nextSqlId = 0;

  constructor(file: string) {
    this.workerData = { driverPath: sqliteDriverPath, file };
  }

  run(groups: readonly StatementGroup[]): Promise<unknown[][][]> {
    return this.post(groups, false) as Promise<unknown[][][]>;
  }

  runIsolated(groups: readonly StatementGroup[]): Promise<GroupOutcome[]> {
    return this.post(groups, true) as Promise<GroupOutcome[]>;
  }

  private post(groups: readonly StatementGroup[], isolate: boolean): Promise<unknown[]> {
    const worker = this.worker ?? this.start();
    const seq = ++this.seq;
    let define: [number, string][] | undefined;
    const encoded = groups.map((group) => {
      const flat: unknown[] = [];
      for (const { sql, parameters } of group) {
        let id = this.sqlIds.get(sql);
        if (id === undefined) {
          id = this.nextSqlId++;
          this.sqlIds.set(sql, id);
          (define ??= []).push([id, sql]);
        }
        flat.push(id, parameters);
      }
      return flat;
    });
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      try {
        worker.postMessage({ seq, define, groups: encoded, isolate });
      } catch (error) {
        // Not sent (a parameter that cannot be copied): the thread never learnt these numbers.
        this.waiting.delete(seq);
        for (const [, sql] of define ?? []) this.sqlIds.delete(sql);
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    await new Promise<void>((resolve) => {
      worker.once('exit', () => resolve());
      worker.once('message', () => void worker.terminate());
      worker.postMessage('close');
    });
  }

  private start(): Worker {
    this.sqlIds.clear();
    const worker = new Worker(`(${writerThread.toString()})()`, { eval: true, workerData: this.workerData });
    worker.on('message', (reply: Reply) => {
      if (reply === 'closed') return;
      const pending = this.waiting.get(reply.seq);
      if (!pending) return;
      this.waiting.delete(reply.seq);
      if (reply.error !== undefined) pending.reject(new Error(reply.error));
      else pending.resolve(reply.results!);
    });
    const fail = (error: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const pending of this.waiting.values()) pending.reject(error);
      this.waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the SQLite writer thread stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}
