import { spawn } from 'node:child_process';
import { configDirWith, eventually, startApp, TestApp, tempDir, WHIPPY_KEY } from './support/app.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';
import { sendSigned, spawnService } from './support/service.js';

/** Runs dist/main.js with these arguments until it exits; its exit code and output. */
function runMain(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/main.js', ...args], {
      env: {
        PATH: process.env.PATH,
        DATA_DIR: tempDir(),
        WHIPPY_SIGNING_KEYS: WHIPPY_KEY,
        PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('process roles (DESIGN §8)', () => {
  it('refuses to start with a role that does not exist, naming the setting and the choices', async () => {
    const fromEnv = await runMain([], { ROLE: 'broker' });
    expect(fromEnv.code).not.toBe(0);
    expect(fromEnv.output).toContain(
      'server.role (ROLE or --role): must be one of api, worker, all, got "broker"',
    );
    const fromFlag = await runMain(['--role', 'apis'], {});
    expect(fromFlag.code).not.toBe(0);
    expect(fromFlag.output).toContain('must be one of api, worker, all, got "apis"');
  }, 30_000);

  it('a worker serves /health and /metrics only: webhooks and /admin are not there', async () => {
    const worker = await spawnService({
      DATA_DIR: tempDir(),
      WHIPPY_SIGNING_KEYS: WHIPPY_KEY,
      ADMIN_TOKEN: 'token',
      ROLE: 'worker',
    });
    try {
      expect((await fetch(`${worker.url}/health/live`)).status).toBe(200);
      expect((await fetch(`${worker.url}/metrics`)).status).toBe(200);
      expect((await sendSigned(worker.url, WHIPPY_KEY)).status).toBe(404);
      const admin = await fetch(`${worker.url}/admin/api/events`, {
        headers: { authorization: 'Bearer token' },
      });
      expect(admin.status).toBe(404);
      expect(worker.output()).toContain('role worker');
    } finally {
      worker.process.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
    }
  }, 30_000);
});

const server = await postgres();

describeWith(server, 'an api and a worker on one PostgreSQL database, without Redis', () => {
  let database: { url: string; drop(): Promise<void> };
  let api: TestApp | undefined;
  let worker: TestApp | undefined;
  const config = configDirWith('delivery: { backoff: { initialMs: 100, maxMs: 500, jitter: false } }');

  beforeEach(async () => {
    database = await freshDatabase(server.url!);
    // The api starts first: were it to compete for the delivery lock, it would win it.
    api = await startApp({
      env: { DATABASE_URL: database.url, ROLE: 'api' },
      configDir: config,
      modules: [ProbeModule],
    });
    worker = await startApp({
      env: { DATABASE_URL: database.url, ROLE: 'worker' },
      configDir: config,
      modules: [ProbeModule],
    });
  });
  afterEach(async () => {
    await api?.close();
    await worker?.close();
    await database.drop();
  });

  it('the api stores and classifies; only the worker runs handlers', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await api!.ingest('message.created'));
    const probe = worker!.app.get(Probe);
    await eventually(
      () => ids.every((id) => probe.of('test.steady').some((call) => call.eventId === id)),
      20_000,
    );
    expect(api!.app.get(Probe).calls).toHaveLength(0);
    const { body } = await api!.admin(`/admin/api/events/${ids[0]}`).expect(200);
    expect(body.status).toBe('routed');
  }, 40_000);
});
