import { ConfigError } from '../src/config/config.error.js';
import { ModuleStore } from '../src/platform/bus/index.js';
import { createTestApp, eventually, TestApp, tempDir } from './support/app.js';
import { ExampleModule, exampleSettings, ExampleSubscribers } from './support/example.module.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';

const EXAMPLE_YAML = `
example:
  api:
    token: \${EXAMPLE_TOKEN}
`;

const boot = (options: { env?: Record<string, string>; config?: string; dataDir?: string } = {}) =>
  createTestApp({
    modules: [ExampleModule],
    settings: [exampleSettings],
    config: EXAMPLE_YAML + (options.config ?? ''),
    env: options.env,
    dataDir: options.dataDir,
  });

async function startFailure(options: Parameters<typeof boot>[0]): Promise<ConfigError> {
  let t: TestApp | undefined;
  try {
    t = await boot(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  } finally {
    await t?.close();
  }
  throw new Error('expected the start to fail');
}

describe('the platform without company modules', () => {
  it('boots the platform alone: no company subscriber is routed', async () => {
    const t = await createTestApp();
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      expect(body.subscribers).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('module settings (a module reads its own section, typed)', () => {
  it('hands the module its section with defaults, values and variables read', async () => {
    const t = await boot({
      env: { EXAMPLE_TOKEN: 'tok-123456', EXAMPLE_URL: 'http://127.0.0.1:9/api/' },
      config: '    baseUrl: ${EXAMPLE_URL}\n    timeoutMs: "2500"\n',
    });
    try {
      const { settings } = t.app.get(ExampleSubscribers);
      expect(settings.api).toEqual({
        token: 'tok-123456',
        baseUrl: 'http://127.0.0.1:9/api',
        timeoutMs: 2500,
      });
      expect(settings.directions).toEqual(['INBOUND']);
    } finally {
      await t.close();
    }
  });

  it('stops the start naming every bad path, never the secret', async () => {
    const error = await startFailure({
      env: { EXAMPLE_TOKEN: 'tok-very-secret' },
      config:
        '    baseUrl: ftp://example.com\n    timeoutMs: soon\n    retries: 3\n  directions: [INBOUND, SIDEWAYS]\n',
    });
    expect(error.issues).toEqual([
      'example.api.retries: unknown setting (known: token, baseUrl, timeoutMs)',
      'example.api.baseUrl: must be an http(s) URL, got "ftp://example.com"',
      'example.api.timeoutMs: must be a whole number from 1 to 60000, got "soon"',
      'example.directions[1]: must be one of INBOUND, OUTBOUND, got "SIDEWAYS"',
    ]);
    expect(error.message).not.toContain('tok-very-secret');
  });
});

describe('off until configured', () => {
  it('starts without the credential and lists the subscribers disabled, naming the variable', async () => {
    const t = await boot();
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      expect(body.subscribers).toEqual([
        expect.objectContaining({
          id: 'example.contacts',
          enabled: false,
          reason: 'EXAMPLE_TOKEN is not set',
        }),
        expect.objectContaining({
          id: 'example.messages',
          enabled: false,
          reason: 'EXAMPLE_TOKEN is not set',
        }),
      ]);
      expect(body.routes).toEqual([]);

      const id = await t.ingest('contact.created');
      await eventually(async () => (await t.admin(`/admin/api/events/${id}`)).body.status === 'unrouted');
      expect(t.app.get(ExampleSubscribers).seen).toEqual([]);

      const { body: explained } = await t
        .adminPost('/admin/api/routes/explain', { event: 'contact.created', data: {} })
        .expect(200);
      expect(explained.subscribers).toContainEqual({
        id: 'example.contacts',
        delivers: false,
        reason: 'off: EXAMPLE_TOKEN is not set',
      });

      // An operator cannot replay or backfill to it either: without its credential it could only fail.
      const { body: replay } = await t
        .adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['example.contacts'] })
        .expect(409);
      expect(replay).toMatchObject({
        error: 'subscriber_disabled',
        message: expect.stringContaining('EXAMPLE_TOKEN'),
      });
      await t.adminPost('/admin/api/subscribers/example.contacts/backfill', { dryRun: false }).expect(409);
      expect(t.app.get(ExampleSubscribers).seen).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('stops the start when a route enables one, naming the variable', async () => {
    const error = await startFailure({ config: 'subscribers:\n  example.messages:\n    enabled: true\n' });
    expect(error.issues).toEqual([
      expect.stringMatching(/^subscribers\.example\.messages: .*EXAMPLE_TOKEN is not set/),
    ]);
  });

  it('accepts a route that keeps one off', async () => {
    const t = await boot({ config: 'subscribers:\n  example.messages:\n    enabled: false\n' });
    await t.close();
  });

  it('delivers once the credential is set', async () => {
    const t = await boot({ env: { EXAMPLE_TOKEN: 'tok-123456' } });
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      expect(body.subscribers.map((s: { enabled: boolean }) => s.enabled)).toEqual([true, true]);
      const id = await t.ingest('contact.created');
      await eventually(() => t.app.get(ExampleSubscribers).seen.includes(id));
    } finally {
      await t.close();
    }
  });
});

/** The ModuleStore's contract, on whichever store `start` opens. */
function moduleStoreContract(start: (dataDir: string) => Promise<TestApp>) {
  let dataDir: string;
  let t: TestApp;
  beforeEach(async () => {
    dataDir = tempDir();
    t = await start(dataDir);
  });
  afterEach(() => t.close());

  it('keeps values per module, kind and key, as JSON', async () => {
    const store = t.app.get(ModuleStore);
    await store.put('crm.hubspot', 'contact', 'c-1', { id: '901', updatedAt: '2024-05-01T00:00:00Z' });
    await store.put('ats.bullhorn', 'contact', 'c-1', 17);
    expect(await store.get('crm.hubspot', 'contact', 'c-1')).toEqual({
      id: '901',
      updatedAt: '2024-05-01T00:00:00Z',
    });
    expect(await store.get('ats.bullhorn', 'contact', 'c-1')).toBe(17);
    expect(await store.get('crm.hubspot', 'message', 'c-1')).toBeUndefined();

    await store.put('crm.hubspot', 'contact', 'c-1', { id: '902' });
    expect(await store.get('crm.hubspot', 'contact', 'c-1')).toEqual({ id: '902' });
    await store.delete('crm.hubspot', 'contact', 'c-1');
    expect(await store.get('crm.hubspot', 'contact', 'c-1')).toBeUndefined();
  });

  it('lets exactly one of many racing putIfAbsent calls create', async () => {
    const state = t.app.get(ModuleStore).scope('crm.hubspot');
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, i) => state.putIfAbsent('message', 'm-1', { id: `comm-${i}` })),
    );
    const created = outcomes.filter((o) => o.created);
    expect(created).toHaveLength(1);
    const winner = created[0].value;
    expect(outcomes.every((o) => JSON.stringify(o.value) === JSON.stringify(winner))).toBe(true);
    expect(await state.get('message', 'm-1')).toEqual(winner);
  });

  it('remembers across a restart', async () => {
    await t.app.get(ModuleStore).put('ats.bullhorn', 'token', 'refresh', 'rt-2');
    await t.close({ keepData: true });
    t = await start(dataDir);
    expect(await t.app.get(ModuleStore).get('ats.bullhorn', 'token', 'refresh')).toBe('rt-2');
  });
}

describe('ModuleStore on SQLite', () => {
  moduleStoreContract((dataDir) => createTestApp({ dataDir }));
});

const pg = await postgres();
describeWith(pg, 'ModuleStore on PostgreSQL', () => {
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  beforeAll(async () => (database = await freshDatabase(pg.url!)));
  afterAll(() => database.drop());
  moduleStoreContract((dataDir) => createTestApp({ dataDir, env: { DATABASE_URL: database.url } }));
});
