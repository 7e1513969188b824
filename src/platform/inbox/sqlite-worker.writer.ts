import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import type { Database, EventsTable } from './database.js';
import type { EventWriter, Recorded } from './event-writer.js';

/** Column order of the rows sent to the worker; the compiled INSERT binds them in this order. */
const COLUMNS = [
  'id',
  'source',
  'request_id',
  'type',
  'status',
  'raw_body',
  'headers',
  'verification',
  'errors',
  'received_at',
  'updated_at',
] as const satisfies readonly (keyof EventsTable)[];

interface WorkerSetup {
  driverPath: string;
  file: string;
  insertSql: string;
  findSql: string;
}

/**
 * Runs in the worker thread: a connection of its own, one transaction per batch. Kept free of
 * imports and closures because it is shipped to the worker as source text (that works the
 * same from dist/ and from the TypeScript that tests run).
 */
function writerThread(): void {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { parentPort, workerData } = require('node:worker_threads');
  const setup = workerData as WorkerSetup;
  const SQLite = require(setup.driverPath);
  const db = new SQLite(setup.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  const insert = db.prepare(setup.insertSql);
  const find = db.prepare(setup.findSql).pluck();
  const commit = db.transaction((rows: unknown[][]) =>
    rows.map((row) => {
      const inserted = insert.get(...row);
      if (inserted) return [inserted.id, false];
      return [find.get(row[1], row[2]), true];
    }),
  );
  parentPort.on('message', (message: { seq: number; rows: unknown[][] } | 'close') => {
    if (message === 'close') {
      db.close();
      parentPort.postMessage('closed');
      return;
    }
    try {
      parentPort.postMessage({ seq: message.seq, results: commit(message.rows) });
    } catch (error) {
      parentPort.postMessage({ seq: message.seq, error: (error as Error).message });
    }
  });
}

type Reply = { seq: number; results?: [string, boolean][]; error?: string } | 'closed';

/**
 * SQLite commits (and their fsync) run on a worker thread, so the event loop keeps reading
 * and verifying requests while a batch is being made durable. better-sqlite3 is synchronous:
 * on the main thread each fsync would stop every request for its whole duration.
 */
export class SqliteWorkerWriter implements EventWriter {
  private worker?: Worker;
  private readonly setup: WorkerSetup;
  private seq = 0;
  private readonly waiting = new Map<number, { resolve(r: Recorded[]): void; reject(e: Error): void }>();

  constructor(db: Kysely<Database>, file: string) {
    const sample = Object.fromEntries(COLUMNS.map((c) => [c, null])) as unknown as EventsTable;
    const insert = db
      .insertInto('events')
      .values(sample)
      .onConflict((oc) => oc.columns(['source', 'request_id']).doNothing())
      .returning('id')
      .compile();
    const find = db
      .selectFrom('events')
      .select('id')
      .where('source', '=', '')
      .where('request_id', '=', '')
      .compile();
    this.setup = {
      driverPath: createRequire(import.meta.url).resolve('better-sqlite3'),
      file,
      insertSql: insert.sql,
      findSql: find.sql,
    };
  }

  write(rows: EventsTable[]): Promise<Recorded[]> {
    const worker = this.worker ?? this.start();
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject });
      worker.postMessage({ seq, rows: rows.map((row) => COLUMNS.map((column) => row[column])) });
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
    const worker = new Worker(`(${writerThread.toString()})()`, { eval: true, workerData: this.setup });
    worker.on('message', (reply: Reply) => {
      if (reply === 'closed') return;
      const pending = this.waiting.get(reply.seq);
      if (!pending) return;
      this.waiting.delete(reply.seq);
      if (reply.error !== undefined) pending.reject(new Error(reply.error));
      else pending.resolve(reply.results!.map(([id, duplicate]) => ({ id, duplicate })));
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
