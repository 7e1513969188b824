import { join } from 'node:path';
import pg from 'pg';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { describeWith, External, freshDatabase, postgres } from './support/external.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';
import { SQLite } from '../src/platform/store/sqlite-driver.js';

/**
 * A store that refuses writes (a full disk, a read-only database) stands in as triggers that
 * raise on the writes named: the same error path, switched on and off at will.
 */
interface Refusal {
  on(...targets: ('UPDATE events' | 'INSERT deliveries' | 'UPDATE deliveries')[]): Promise<void>;
  off(): Promise<void>;
  close(): Promise<void>;
}

function sqliteRefusal(dataDir: string): Refusal {
  const db = new SQLite(join(dataDir, 'switchyard.db'));
  let names: string[] = [];
  return {
    async on(...targets) {
      for (const target of targets) {
        const [op, table] = target.split(' ');
        const name = `refuse_${op}_${table}`.toLowerCase();
        db.exec(
          `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`,
        );
        names.push(name);
      }
    },
    async off() {
      for (const name of names) db.exec(`DROP TRIGGER IF EXISTS ${name}`);
      names = [];
    },
    async close() {
      db.close();
    },
  };
}

async function postgresRefusal(url: string): Promise<Refusal> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(
    `CREATE OR REPLACE FUNCTION refuse_write() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk full (test)'; END $$ LANGUAGE plpgsql`,
  );
  let names: { name: string; table: string }[] = [];
  return {
    async on(...targets) {
      for (const target of targets) {
        const [op, table] = target.split(' ');
        const name = `refuse_${op}_${table}`.toLowerCase();
        await client.query(
          `CREATE TRIGGER ${name} BEFORE ${op} ON ${table} FOR EACH ROW EXECUTE FUNCTION refuse_write()`,
        );
        names.push({ name, table });
      }
    },
    async off() {
      for (const { name, table } of names) await client.query(`DROP TRIGGER IF EXISTS ${name} ON ${table}`);
      names = [];
    },
    async close() {
      await client.end();
    },
  };
}

const SETTINGS = `
delivery:
  maxAttempts: 3
  backoff: { initialMs: 50, maxMs: 500, jitter: false }
`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function storeSuite(
  name: string,
  setup: () => Promise<{
    env: Record<string, string>;
    refusal(t: TestApp): Promise<Refusal>;
    drop(): Promise<void>;
  }>,
) {
  describe(name, () => {
    let t: TestApp | undefined;
    let refusal: Refusal | undefined;
    let env: Record<string, string>;
    let teardown: () => Promise<void>;
    let makeRefusal: (t: TestApp) => Promise<Refusal>;

    beforeEach(async () => {
      const s = await setup();
      env = s.env;
      makeRefusal = s.refusal;
      teardown = s.drop;
    });
    afterEach(async () => {
      await refusal?.off();
      await refusal?.close();
      refusal = undefined;
      await t?.close();
      t = undefined;
      await teardown();
    });

    const open = async (dataDir?: string) => {
      t = await startApp({ env, configDir: configDirWith(SETTINGS), modules: [ProbeModule], dataDir });
      return t;
    };
    const event = async (app: TestApp, id: string) =>
      (await app.admin(`/admin/api/events/${id}`).expect(200)).body;

    it('classifies an event stored while status writes fail, once they work again, without a restart', async () => {
      const app = await open();
      refusal = await makeRefusal(app);
      await refusal.on('UPDATE events', 'INSERT deliveries');
      const id = await app.ingest('message.created');
      await sleep(500);
      expect((await event(app, id)).status).toBe('received');
      await refusal.off();
      const routed = await eventually(async () => {
        const e = await event(app, id);
        return (
          e.status === 'routed' &&
          e.deliveries.every((d: { status: string }) => d.status === 'succeeded') &&
          e
        );
      }, 15_000);
      expect(routed.deliveries.length).toBeGreaterThan(0);
      expect(
        app.app
          .get(Probe)
          .of('test.steady')
          .map((c) => c.eventId),
      ).toEqual([id]);
    });

    it('records delivery state changes that failed, and runs each delivery once, once writes work again', async () => {
      const app = await open();
      refusal = await makeRefusal(app);
      await refusal.on('UPDATE deliveries');
      const id = await app.ingest('message.created');
      await eventually(async () => (await event(app, id)).status === 'routed');
      await sleep(500);
      await refusal.off();
      const done = await eventually(async () => {
        const e = await event(app, id);
        return e.deliveries.every((d: { status: string }) => d.status === 'succeeded') && e.deliveries;
      }, 15_000);
      const probe = app.app.get(Probe);
      for (const delivery of done) {
        expect(probe.of(delivery.subscriberId).filter((c) => c.eventId === id)).toHaveLength(1);
      }
    });

    it('starts while the store refuses writes, and finishes recovery once it accepts them', async () => {
      const first = await open();
      refusal = await makeRefusal(first);
      await refusal.on('UPDATE events', 'INSERT deliveries', 'UPDATE deliveries');
      const id = await first.ingest('message.created');
      await sleep(200);
      await first.close({ keepData: true });
      t = undefined;

      // Recovery finds an unclassified event and cannot record anything: the start must not fail.
      const second = await open(first.dataDir);
      expect((await event(second, id)).status).toBe('received');
      await refusal.off();
      await eventually(async () => {
        const e = await event(second, id);
        return (
          e.status === 'routed' && e.deliveries.every((d: { status: string }) => d.status === 'succeeded')
        );
      }, 20_000);
      expect(
        second.app
          .get(Probe)
          .of('test.steady')
          .map((c) => c.eventId),
      ).toEqual([id]);
    });
  });
}

storeSuite('status writes on SQLite', async () => {
  let app: TestApp | undefined;
  return {
    env: {},
    refusal: async (t) => {
      app = t;
      return sqliteRefusal(t.dataDir);
    },
    drop: async () => void app,
  };
});

const server: External = await postgres();

describeWith(server, 'status writes on PostgreSQL', () => {
  storeSuite('(fresh database per test)', async () => {
    const database = await freshDatabase(server.url!);
    return {
      env: { DATABASE_URL: database.url },
      refusal: () => postgresRefusal(database.url),
      drop: () => database.drop(),
    };
  });
});
