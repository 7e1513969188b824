import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, startApp, tempDir, TestApp } from './support/app.js';
import { switchyard } from './support/cli.js';
import { fixture } from './support/events.js';
import { freePort } from './support/service.js';
import { ProbeModule } from './support/probe.subscribers.js';

/** Each run starts a node process that loads the whole application: allow it time. */
const SLOW = 60_000;
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

/** Two relay targets (subscribers defined by the code from the configuration), routed for staging. */
const STAGING = `
relay:
  targets:
    billing:
      url: http://127.0.0.1:9/billing
      secret: ${SECRET}
      events: [message.created, 'contact.*']
    archive:
      url: http://127.0.0.1:9/archive
      secret: ${SECRET}
      events: ['*']
subscribers:
  relay.billing:
    events: [message.created]
    filter: { data.direction: INBOUND }
  relay.archive:
    enabled: false
`;

describe('switchyard routes', () => {
  let configDir: string;
  let dataDir: string;
  /** No service runs on this port: the offline commands must not need one. */
  let env: Record<string, string>;
  const scratchDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith('switchyard-routes-'));

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { stdio: 'inherit' });
    configDir = tempDir('switchyard-config-');
    copyFileSync('config/default.yaml', join(configDir, 'default.yaml'));
    writeFileSync(join(configDir, 'staging.yaml'), STAGING);
    dataDir = tempDir();
    env = { APP_ENV: 'production', CONFIG_DIR: configDir, DATA_DIR: dataDir, PORT: String(await freePort()) };
  }, 120_000);

  afterAll(() => {
    for (const dir of [configDir, dataDir]) rmSync(dir, { recursive: true, force: true });
  });

  describe('offline, from the configuration and the code', () => {
    it(
      '--env prints that environment’s table with filters and disabled subscribers',
      async () => {
        const before = scratchDirs();
        const run = await switchyard(['routes', '--env', 'staging'], env);
        expect(run).toMatchObject({ code: 0, stderr: '' });
        expect(run.stdout.split('\n')).toEqual([
          'routes for APP_ENV=staging (from the configuration and the code):',
          'message.created → relay.billing (filter: {"data.direction":{"equals":"INBOUND"}})',
          'disabled:',
          '  relay.archive: disabled by subscribers.relay.archive.enabled',
          // The company's modules, off until their credentials are set.
          '  crm.hubspot.contacts: HUBSPOT_TOKEN is not set',
          '  crm.hubspot.timeline: HUBSPOT_TOKEN is not set',
          '  ats.bullhorn.notes: BULLHORN_CLIENT_ID is not set; BULLHORN_CLIENT_SECRET is not set; BULLHORN_REFRESH_TOKEN is not set',
          '  ats.bullhorn.opt-out: BULLHORN_CLIENT_ID is not set; BULLHORN_CLIENT_SECRET is not set; BULLHORN_REFRESH_TOKEN is not set',
          '  notifications.slack: SLACK_WEBHOOK_URL is not set',
          '  notifications.email: SMTP_URL is not set',
          '',
        ]);
        // Nothing of the real store was touched, and the scratch store is gone.
        expect(readdirSync(dataDir)).toEqual([]);
        expect(scratchDirs()).toEqual(before);
      },
      SLOW,
    );

    it(
      'reads APP_ENV when --env is not given',
      async () => {
        const run = await switchyard(['routes'], env);
        expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining('APP_ENV=production') });
        expect(run.stdout).toContain('no routes: events are kept as unrouted');
      },
      SLOW,
    );

    it(
      'explains a bare fixture given with --type',
      async () => {
        const file = join(tempDir(), 'data.json');
        writeFileSync(file, JSON.stringify({ ...fixture('message.created'), direction: 'OUTBOUND' }));
        const run = await switchyard(
          ['routes', '--env', 'staging', '--explain', file, '--type', 'message.created'],
          env,
        );
        expect(run).toMatchObject({ code: 0, stderr: '' });
        expect(run.stdout).toContain('message.created — routed by APP_ENV=staging');
        expect(run.stdout).toContain(
          '✗ relay.billing: filter: data.direction is "OUTBOUND", wanted "INBOUND"',
        );
        expect(run.stdout).toContain('✗ relay.archive: disabled by subscribers.relay.archive.enabled');
      },
      SLOW,
    );

    it(
      'explains the bundled sample of a type with --type alone, and a whole Whippy body',
      async () => {
        const sample = await switchyard(['routes', '--env', 'staging', '--type', 'message.created'], env);
        expect(sample.stdout).toContain('✓ relay.billing');
        const file = join(tempDir(), 'body.json');
        writeFileSync(
          file,
          JSON.stringify({ event: 'contact.created', request_id: 'r', data: fixture('contact.created') }),
        );
        const body = await switchyard(['routes', '--env', 'staging', '--explain', file], env);
        expect(body.stdout).toContain(
          '✗ relay.billing: does not subscribe to contact.created (gets: message.created)',
        );
      },
      SLOW,
    );

    it(
      'refuses bare data without --type, and a name that is neither a file nor an event id',
      async () => {
        const file = join(tempDir(), 'data.json');
        writeFileSync(file, JSON.stringify(fixture('message.created')));
        const bare = await switchyard(['routes', '--env', 'staging', '--explain', file], env);
        expect(bare).toMatchObject({ code: 1, stdout: '' });
        expect(bare.stderr).toContain('has no "event": for a bare data object give its type with --type');
        const neither = await switchyard(['routes', '--explain', 'no-such-file.json'], env);
        expect(neither.stderr).toContain('no-such-file.json is neither a file nor a stored event id');
      },
      SLOW,
    );

    it(
      'stops on a broken route the way the service would, naming the path',
      async () => {
        writeFileSync(join(configDir, 'broken.yaml'), 'subscribers:\n  crm.nobody:\n    enabled: true\n');
        const broken = await switchyard(['routes', '--env', 'broken'], env);
        expect(broken.code).toBe(1);
        expect(broken.stderr).toContain('Invalid configuration (APP_ENV=broken)');
        expect(broken.stderr).toContain('subscribers.crm.nobody: no such subscriber');
      },
      SLOW,
    );

    it(
      'refuses --env with --url: one reads the configuration here, the other asks a service',
      async () => {
        const both = await switchyard(['routes', '--env', 'staging', '--url', 'http://127.0.0.1:9'], env);
        expect(both).toMatchObject({ code: 1, stderr: expect.stringContaining('give one of them') });
      },
      SLOW,
    );
  });

  describe('against the running service', () => {
    let t: TestApp;
    let url: string;

    beforeAll(async () => {
      t = await startApp({ modules: [ProbeModule] });
      await t.app.listen(0, '127.0.0.1');
      url = await t.app.getUrl();
    });
    afterAll(() => t?.close());

    it(
      '--explain <event id> explains a stored event with the routes of the service that keeps it',
      async () => {
        const id = await t.ingest('contact.updated');
        const run = await switchyard(['routes', '--explain', id, '--url', url], { ADMIN_TOKEN });
        expect(run).toMatchObject({ code: 0, stderr: '' });
        expect(run.stdout).toContain('contact.updated — routed by the running service');
        expect(run.stdout).toContain('✓ test.contacts');
        expect(run.stdout).toContain('✗ test.steady: does not subscribe to contact.updated');
        const unknown = await switchyard(
          ['routes', '--explain', '01ARZ3NDEKTSV4RRFFQ69G5FAV', '--url', url],
          {
            ADMIN_TOKEN,
          },
        );
        expect(unknown).toMatchObject({ code: 1, stderr: expect.stringContaining('answered 404') });
      },
      SLOW,
    );

    it(
      '--url prints the service’s table',
      async () => {
        const run = await switchyard(['routes', '--url', url], { ADMIN_TOKEN });
        expect(run.stdout).toMatch(/^contact\.created → .*test\.contacts/m);
      },
      SLOW,
    );
  });
});
