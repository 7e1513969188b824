import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WHIPPY_EVENT_TYPES } from '../src/platform/events/event-types.js';
import { configDirWith, startApp, tempDir, TestApp, WHIPPY_KEY } from './support/app.js';
import { fixture } from './support/events.js';
import { Run, switchyard } from './support/cli.js';
import { freePort } from './support/service.js';

const SVIX_KEY = `whsec_${randomBytes(24).toString('base64')}`;
const SOURCES = `
sources:
  svix:
    scheme: standard-webhooks
    keys: [${SVIX_KEY}]
  custom:
    scheme: hmac
    keys: [custom-shared-secret]
    hmac:
      header: X-Signature
      prefix: 'sha256='
      template: '{timestamp}.{body}'
      timestampHeader: X-Timestamp
log:
  level: warn
`;

const ACCEPTED = /^200 \{"received":true,"id":"(\w+)","duplicate":false\}$/;

/** The stored ids from the `200 {...}` lines of a run, which must all be acceptances. */
function acceptedIds(run: Run): string[] {
  const lines = run.stdout.trimEnd().split('\n');
  for (const line of lines) expect(line).toMatch(ACCEPTED);
  return lines.map((line) => ACCEPTED.exec(line)![1]);
}

describe('switchyard CLI (DESIGN §7)', () => {
  let t: TestApp;
  let configDir: string;
  let cliDataDir: string;
  let port: number;
  /** What the CLI sees in the test environment: same config and key as the app, no --url. */
  let env: Record<string, string>;

  beforeAll(async () => {
    // Built once here, so the CLI runs below never race each other to build dist/.
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { stdio: 'inherit' });
    configDir = configDirWith(SOURCES);
    cliDataDir = tempDir();
    t = await startApp({ configDir });
    await t.app.listen(0);
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    env = {
      APP_ENV: 'test',
      CONFIG_DIR: configDir,
      DATA_DIR: cliDataDir,
      PORT: String(port),
      WHIPPY_SIGNING_KEYS: WHIPPY_KEY,
    };
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    for (const dir of [configDir, cliDataDir]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stored = async (id: string) => (await t.admin(`/admin/api/events/${id}`).expect(200)).body;

  describe('send', () => {
    it('sends the sample of each known type, signed, and each is stored with that type', async () => {
      const queue = [...WHIPPY_EVENT_TYPES];
      const worker = async () => {
        for (let type = queue.shift(); type; type = queue.shift()) {
          const run = await switchyard(['send', type], env);
          expect({ type, code: run.code, stderr: run.stderr }).toEqual({ type, code: 0, stderr: '' });
          const [id] = acceptedIds(run);
          const event = await stored(id);
          expect(event).toMatchObject({
            source: 'whippy',
            type,
            status: expect.stringMatching(/^(received|unrouted)$/),
          });
          const body = JSON.parse(event.rawBody);
          expect(body).toEqual({ event: type, request_id: event.requestId, data: fixture(type) });
          expect(event.headers['user-agent']).toBe('switchyard-send');
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      expect(WHIPPY_EVENT_TYPES).toHaveLength(21);
    }, 90_000);

    it('--count 3 sends three requests, each with its own request_id, stored as three events', async () => {
      const run = await switchyard(['send', 'message.created', '--count', '3'], env);
      expect(run.code).toBe(0);
      const ids = acceptedIds(run);
      expect(ids).toHaveLength(3);
      expect(new Set(ids).size).toBe(3);
      const events = await Promise.all(ids.map(stored));
      expect(new Set(events.map((e) => e.requestId)).size).toBe(3);
    });

    it('--data sends a type the catalog does not know, stored as unknown', async () => {
      const file = join(cliDataDir, 'invoice.json');
      writeFileSync(file, JSON.stringify({ id: 'inv_1', amount: 12 }));
      const run = await switchyard(['send', 'invoice.paid', '--data', file], env);
      expect(run.code).toBe(0);
      const event = await stored(acceptedIds(run)[0]);
      expect(event).toMatchObject({ type: 'invoice.paid', status: 'unknown' });
      expect(JSON.parse(event.rawBody).data).toEqual({ id: 'inv_1', amount: 12 });
    });

    it('refuses an unknown type without --data, listing the known types, and sends nothing', async () => {
      const run = await switchyard(['send', 'invoice.refused'], env);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain("unknown event type 'invoice.refused'");
      for (const type of WHIPPY_EVENT_TYPES) expect(run.stderr).toContain(`  ${type}\n`);
      expect(run.stderr).toContain('--data');
      const list = await t.admin('/admin/api/events?type=invoice.refused').expect(200);
      expect(list.body.items).toEqual([]);
    });

    it('prints the 401 of a wrong --key and exits non-zero', async () => {
      const run = await switchyard(['send', 'contact.created', '--key', 'not-the-key'], env);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('401 {"error":"invalid_signature"}\n');
      expect(run.stderr).toContain('refused the signature');
    });

    it('names the URL it could not reach and exits non-zero', async () => {
      const url = `http://127.0.0.1:${await freePort()}/webhooks/whippy`;
      const run = await switchyard(['send', 'lead.new', '--url', url], env);
      expect(run.code).not.toBe(0);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`could not reach ${url}`);
      expect(run.stderr).toContain('ECONNREFUSED');
    });

    it.each([
      ['svix', 'standard-webhooks'],
      ['custom', 'hmac'],
    ])('signs for source %s with its %s scheme; --count 2 stores two events', async (source) => {
      const run = await switchyard(['send', 'message.updated', '--source', source, '--count', '2'], env);
      expect(run.code).toBe(0);
      const ids = acceptedIds(run);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) expect(await stored(id)).toMatchObject({ source, type: 'message.updated' });
    });

    it('--url is the service base URL, as in every command; a full webhook URL still works', async () => {
      const base = await switchyard(['send', 'lead.new', '--url', `http://127.0.0.1:${port}`], env);
      expect(base.code).toBe(0);
      expect(await stored(acceptedIds(base)[0])).toMatchObject({ source: 'whippy', type: 'lead.new' });
      const svix = await switchyard(
        ['send', 'lead.new', '--url', `http://127.0.0.1:${port}/`, '--source', 'svix'],
        env,
      );
      expect(await stored(acceptedIds(svix)[0])).toMatchObject({ source: 'svix' });
      // A full URL names its source, which then signs without --source.
      const full = await switchyard(
        ['send', 'lead.new', '--url', `http://127.0.0.1:${port}/webhooks/custom`],
        env,
      );
      expect(await stored(acceptedIds(full)[0])).toMatchObject({ source: 'custom' });
    });

    it('needs no configuration when --url and --key are both given', async () => {
      const run = await switchyard(
        ['send', 'call.analyzed', '--url', `http://127.0.0.1:${port}/webhooks/whippy`, '--key', WHIPPY_KEY],
        { APP_ENV: 'production', CONFIG_DIR: join(cliDataDir, 'no-such-folder') },
      );
      expect(run.code).toBe(0);
      expect(await stored(acceptedIds(run)[0])).toMatchObject({ type: 'call.analyzed' });
    });

    it('prints a configuration error and exits 1 when it needs the configuration', async () => {
      const run = await switchyard(['send', 'call.analyzed'], { ...env, WHIPPY_SIGNING_KEYS: undefined });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain('Invalid configuration (APP_ENV=test)');
      expect(run.stderr).toContain('sources.whippy.keys: no signing key; set WHIPPY_SIGNING_KEYS');
    });
  });

  describe('migrate', () => {
    it('applies the migrations to a fresh DATA_DIR, then reports the schema up to date', async () => {
      const dataDir = join(cliDataDir, 'fresh');
      const migrateEnv = { ...env, DATA_DIR: dataDir };

      const first = await switchyard(['migrate'], migrateEnv);
      expect(first).toMatchObject({ code: 0, stderr: '' });
      expect(first.stdout).toMatch(/^sqlite store at .*switchyard\.db: applied \d+ migration\(s\)\n/);
      expect(first.stdout).toContain('  0001-events\n');
      expect(existsSync(join(dataDir, 'switchyard.db'))).toBe(true);

      const second = await switchyard(['migrate'], migrateEnv);
      expect(second).toMatchObject({ code: 0, stderr: '' });
      expect(second.stdout).toMatch(/: schema is up to date\n$/);
    });

    it('needs no signing key, only the store settings', async () => {
      const run = await switchyard(['migrate'], {
        APP_ENV: 'production',
        CONFIG_DIR: env.CONFIG_DIR,
        DATA_DIR: join(cliDataDir, 'release-step'),
      });
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toContain('0001-events');
    });
  });
});
