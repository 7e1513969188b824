import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import { sql } from 'kysely';
import type { Store } from '../src/platform/store/database.js';
import { STORE } from '../src/platform/store/store.tokens.js';
import { StoreWriter } from '../src/platform/store/store-writer.service.js';
import { eventually, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { fixture } from './support/events.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { whippySignature } from './support/sign.js';

const server = await postgres();

/** What differs between the dialects: how a test makes the store refuse rows. */
interface Dialect {
  name: string;
  start(): Promise<{ t: TestApp; stop(): Promise<void> }>;
  /** Every insert into events whose request_id matches `where` (SQL on NEW) fails. */
  refuse(store: Store, where: string): Promise<void>;
  allow(store: Store): Promise<void>;
}

const sqlite: Dialect = {
  name: 'SQLite',
  async start() {
    const t = await startApp();
    return { t, stop: () => t.close() };
  },
  async refuse(store, where) {
    await sql
      .raw(
        `CREATE TRIGGER refuse BEFORE INSERT ON events WHEN ${where} BEGIN SELECT RAISE(ABORT, 'refused row'); END`,
      )
      .execute(store.db);
  },
  async allow(store) {
    await sql.raw('DROP TRIGGER refuse').execute(store.db);
  },
};

const postgresql: Dialect = {
  name: 'PostgreSQL',
  async start() {
    const database = await freshDatabase(server.url!);
    const t = await startApp({ env: { DATABASE_URL: database.url } });
    return {
      t,
      async stop() {
        await t.close();
        await database.drop();
      },
    };
  },
  async refuse(store, where) {
    await sql
      .raw(
        `CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
           IF ${where} THEN RAISE EXCEPTION 'refused row'; END IF; RETURN NEW; END $$;
         CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse();`,
      )
      .execute(store.db);
  },
  async allow(store) {
    await sql.raw('DROP TRIGGER refuse ON events; DROP FUNCTION refuse();').execute(store.db);
  },
};

function suite(dialect: Dialect) {
  let t: TestApp;
  let stop: () => Promise<void>;
  let store: Store;

  beforeEach(async () => {
    ({ t, stop } = await dialect.start());
    store = t.app.get<Store>(STORE);
  });
  afterEach(() => stop());

  const body = (requestId: string = randomUUID()) =>
    JSON.stringify({ event: 'message.created', request_id: requestId, data: fixture('message.created') });
  const post = (payload: string) =>
    t.http
      .post('/webhooks/whippy')
      .set('content-type', 'application/json')
      .set('x-whippy-signature', whippySignature(WHIPPY_KEY, payload).header)
      .send(payload);
  const storedIds = async () => {
    const rows = await store.db.selectFrom('events').select('id').execute();
    return new Set(rows.map((row) => row.id));
  };

  it('stores every valid request that shared a commit with a row the store refuses', async () => {
    // A row the envelope check lets through but the store refuses (a trigger stands in for it).
    await dialect.refuse(store, `NEW.request_id = 'poison'`);
    const payloads = [
      ...Array.from({ length: 60 }, () => body()),
      body('poison'),
      ...Array.from({ length: 60 }, () => body()),
    ];
    const responses = await Promise.all(payloads.map(post));
    const poisoned = responses.splice(60, 1)[0];
    expect(poisoned.status).toBe(503);
    expect(responses.map((r) => r.status)).toEqual(Array(120).fill(200));
    const ids = await storedIds();
    expect(responses.filter((r) => !ids.has(r.body.id))).toEqual([]);
    expect(ids.size).toBe(120);
  });

  it('reports not ready while the store refuses writes, and ready again once it takes them', async () => {
    const writer = t.app.get(StoreWriter);
    const seen: boolean[] = [];
    writer.onWritabilityChange((writable) => seen.push(writable));
    await t.http.get('/health/ready').expect(200);
    await dialect.refuse(store, 'true');

    const refused = await post(body()).expect(503);
    expect(refused.headers['retry-after']).toMatch(/^\d+$/);
    const down = await eventually(async () => {
      const res = await t.http.get('/health/ready');
      return res.status === 503 && res;
    });
    expect(down.body.details.store).toMatchObject({
      status: 'down',
      message: expect.stringContaining('refused row'),
    });
    expect(writer.writable).toBe(false);
    // While the store is down, a webhook is one write: not a second try without its
    // classification, which only helps when the classification was what the store refused.
    const writes = jest.spyOn(writer, 'write');
    await post(body()).expect(503);
    expect(writes).toHaveBeenCalledTimes(1);
    writes.mockRestore();

    await dialect.allow(store);
    // No webhook arrives meanwhile: the writer's own probe finds the store writable again.
    await eventually(async () => (await t.http.get('/health/ready')).status === 200);
    expect(writer.writable).toBe(true);
    expect(seen).toEqual([false, true]);
    await post(body()).expect(200);
    // The probe leaves nothing behind.
    expect(await storedIds()).toHaveProperty('size', 1);
  });
}

describe('store on SQLite: one bad row, a store refusing writes (issue 6)', () => suite(sqlite));
describeWith(server, 'store on PostgreSQL: one bad row, a store refusing writes (issue 6)', () =>
  suite(postgresql),
);
