import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CompiledQuery, Kysely } from 'kysely';
import type { Database } from './database.js';

/** A statement compiled by Kysely for the store's own dialect: SQL text and its parameters. */
export interface Statement {
  sql: string;
  parameters: readonly unknown[];
}

/** Runs statements in one transaction; returns the rows each statement returned. */
export interface StatementRunner {
  run(statements: Statement[]): Promise<unknown[][]>;
  close(): Promise<void>;
}

/** PostgreSQL (and any dialect without a dedicated runner): a Kysely transaction. */
export class KyselyStatementRunner implements StatementRunner {
  constructor(private readonly db: Kysely<Database>) {}

  run(statements: Statement[]): Promise<unknown[][]> {
    return this.db.transaction().execute(async (trx) => {
      const results: unknown[][] = [];
      for (const { sql, parameters } of statements) {
        results.push((await trx.executeQuery(CompiledQuery.raw(sql, [...parameters]))).rows);
      }
      return results;
    });
  }

  async close(): Promise<void> {}
}

/**
 * Runs in the worker thread: a connection of its own, one transaction per call, statements
 * prepared once. Free of imports and closures because it is shipped as source text, which
 * works the same from dist/ and from the TypeScript that the tests run.
 */
function writerThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads');
  const SQLite = require(workerData.driverPath);
  const db = new SQLite(workerData.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const prepared = new Map();
  const prepare = (sql: string) => {
    let statement = prepared.get(sql);
    if (!statement) prepared.set(sql, (statement = db.prepare(sql)));
    return statement;
  };
  const transaction = db.transaction((statements: { sql: string; parameters: unknown[] }[]) =>
    statements.map(({ sql, parameters }) => {
      const statement = prepare(sql);
      if (statement.reader) return statement.all(...parameters);
      statement.run(...parameters);
      return [];
    }),
  );
  parentPort.on(
    'message',
    (message: { seq: number; statements: { sql: string; parameters: unknown[] }[] } | 'close') => {
      if (message === 'close') {
        db.close();
        parentPort.postMessage('closed');
        return;
      }
      try {
        parentPort.postMessage({ seq: message.seq, results: transaction(message.statements) });
      } catch (error) {
        parentPort.postMessage({ seq: message.seq, error: (error as Error).message });
      }
    },
  );
}

type Reply = { seq: number; results?: unknown[][]; error?: string } | 'closed';

/**
 * SQLite writes (and their fsync) run on a worker thread, so the event loop keeps reading and
 * verifying requests while a transaction is made durable. better-sqlite3 is synchronous: on
 * the main thread each fsync would stop every request for its whole duration.
 */
export class SqliteWorkerRunner implements StatementRunner {
  private worker?: Worker;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(r: unknown[][]): void; reject(e: Error): void }>();
  private readonly workerData: { driverPath: string; file: string };

  constructor(file: string) {
    this.workerData = { driverPath: createRequire(import.meta.url).resolve('better-sqlite3'), file };
  }

  run(statements: Statement[]): Promise<unknown[][]> {
    const worker = this.worker ?? this.start();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ seq, statements });
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
