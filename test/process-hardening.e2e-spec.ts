import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { connect, createServer, Socket } from 'node:net';
import { join } from 'node:path';
import { configDirWith, tempDir } from './support/app.js';
import { freePort, sendSigned, spawnService } from './support/service.js';

const KEY = 'process-hardening-key';
const ADMIN = 'process-hardening-admin';
const CUSTOM_SECRET = 'custom-hmac-secret';

/** Resolves with the exit code, or with 'still running' once `ms` have passed. */
const exitWithin = (exited: Promise<number | null>, ms: number) =>
  Promise.race([
    exited,
    new Promise<string>((resolve) => setTimeout(() => resolve('still running'), ms).unref()),
  ]);

function openSocket(url: string): Promise<Socket> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => resolve(socket));
    socket.on('error', reject);
  });
}

describe('the service process, hardened (issue 6)', () => {
  let dataDir: string;
  beforeEach(() => (dataDir = tempDir()));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const production = () => ({
    APP_ENV: 'production',
    DATA_DIR: dataDir,
    WHIPPY_SIGNING_KEYS: KEY,
    ADMIN_TOKEN: ADMIN,
  });

  it('exits 0 within server.shutdownTimeoutMs on SIGTERM despite a half-sent request, keeping what it acknowledged', async () => {
    const configDir = configDirWith('server:\n  shutdownTimeoutMs: 3000\n');
    const env = { ...production(), APP_ENV: 'test', CONFIG_DIR: configDir };
    const service = await spawnService(env);
    const acknowledged = await sendSigned(service.url, KEY);
    expect(acknowledged.status).toBe(200);

    // A request whose body never comes, and an idle keep-alive connection.
    const half = await openSocket(service.url);
    half.write(
      'POST /webhooks/whippy HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n' +
        'content-length: 5000\r\n\r\n{"event":"message.created",',
    );
    const idle = await openSocket(service.url);
    idle.write('GET /health/live HTTP/1.1\r\nhost: x\r\nconnection: keep-alive\r\n\r\n');
    await new Promise((resolve) => idle.once('data', resolve));

    service.process.kill('SIGTERM');
    // Before the fix the process waited for the body (400 s seen).
    expect(await exitWithin(service.exited, 3000 + 5000)).toBe(0);
    half.destroy();
    idle.destroy();

    const again = await spawnService(env);
    try {
      const res = await fetch(`${again.url}/admin/api/events/${acknowledged.id}`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(res.status).toBe(200);
    } finally {
      again.process.kill('SIGTERM');
      await again.exited;
    }
  });

  it('says which port is taken and exits 1 before touching the store', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const service = await spawnService({ ...production(), PORT: String(port) }, { waitReady: false });
      expect(await exitWithin(service.exited, 20_000)).toBe(1);
      expect(service.output().trim()).toBe(
        `port ${port} is already in use: stop the process holding it, or set PORT (server.port) to another port`,
      );
      expect(existsSync(join(dataDir, 'switchyard.db'))).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('applies production rules when APP_ENV is unset', async () => {
    const service = await spawnService({ DATA_DIR: dataDir }, { waitReady: false });
    expect(await service.exited).toBe(1);
    expect(service.output()).toContain('Invalid configuration (APP_ENV=production)');
    expect(service.output()).toContain('set WHIPPY_SIGNING_KEYS');
  });

  it('npm start defaults APP_ENV to development', async () => {
    const port = await freePort();
    const child = spawn('npm', ['start', '--silent'], {
      env: { PATH: process.env.PATH, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      const deadline = Date.now() + 30_000;
      while (!output.includes('listening on') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toContain('(APP_ENV=development)');
      expect(output).toContain('development signing key');
    } finally {
      process.kill(-child.pid!, 'SIGTERM');
      await exited;
    }
  });

  it('logs a flood of refused webhooks in a few compact, redacted lines', async () => {
    const configDir = configDirWith(
      `sources:\n  custom:\n    scheme: hmac\n    keys: [${CUSTOM_SECRET}]\n    hmac:\n      header: X-Custom-Sig\n`,
    );
    const service = await spawnService({ ...production(), APP_ENV: 'test', CONFIG_DIR: configDir });
    const secrets = {
      cookie: 'session=COOKIE-SECRET',
      'proxy-authorization': 'Basic PROXY-SECRET',
      'svix-signature': 'v1,SVIX-SECRET',
      'webhook-signature': 'v1,WEBHOOK-SECRET',
      'x-custom-sig': 'CUSTOM-SIG-SECRET',
      'x-whippy-signature': 't=1,v1=WHIPPY-SECRET',
    };
    const junk = 'J'.repeat(4000);
    const forged = (source: string) =>
      fetch(`${service.url}/webhooks/${source}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-junk': junk, ...secrets },
        body: JSON.stringify({ event: 'message.created', request_id: randomUUID(), data: {} }),
      }).then((res) => res.status);
    try {
      const statuses: number[] = [];
      for (let round = 0; round < 10; round++) {
        statuses.push(...(await Promise.all(Array.from({ length: 30 }, () => forged('whippy')))));
      }
      // Each names another unknown source: they share one limit all the same.
      statuses.push(...(await Promise.all(Array.from({ length: 30 }, (_, i) => forged(`nowhere-${i}`)))));
      expect(new Set(statuses)).toEqual(new Set([401, 404]));
      // A refused admin call is logged by the request logger: redacted, without its query.
      const admin = await fetch(`${service.url}/admin/api/events?token=QUERY-SECRET`, {
        headers: { authorization: 'Bearer AUTH-SECRET', ...secrets },
      });
      expect(admin.status).toBe(401);
    } finally {
      service.process.kill('SIGTERM');
      await service.exited;
    }
    const lines = service.output().split('\n');
    const refused = lines.filter((line) => line.includes('webhook refused'));
    const forgedLines = refused.filter((line) => line.includes('no_matching_signature'));
    // 10 lines, then one summary of the 290 left out.
    expect(forgedLines).toHaveLength(11);
    expect(forgedLines.some((line) => line.includes('290 more no_matching_signature'))).toBe(true);
    expect(refused.filter((line) => line.includes('unknown_source'))).toHaveLength(11);
    for (const line of refused) {
      expect(line.length).toBeLessThan(400);
      expect(line).toMatch(/remote=(::ffff:)?127\.0\.0\.1|more/);
    }
    const output = service.output();
    expect(output).not.toContain('JJJJJJJJ');
    for (const secret of [...Object.values(secrets), 'AUTH-SECRET', 'QUERY-SECRET']) {
      expect([secret, output.includes(secret.split(/[=, ]/).pop()!)]).toEqual([secret, false]);
    }
    const adminLine = lines.find((line) => line.includes('"url":"/admin/api/events'));
    expect(adminLine).toContain('"url":"/admin/api/events",');
    expect(adminLine).toContain('"x-custom-sig":"[redacted]"');
    expect(output.length).toBeLessThan(40_000);
  });
});
