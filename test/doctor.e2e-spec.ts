import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PermanentFailure } from '../src/platform/bus/index.js';
import type { DiagnosticsReport, Finding } from '../src/platform/observability/finding.js';
import { ADMIN_TOKEN, configDirWith, eventually, startApp, TestApp, WHIPPY_KEY } from './support/app.js';
import { switchyard } from './support/cli.js';
import { envelope, fixture } from './support/events.js';
import { FakeWhippy } from './support/fake-whippy.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';
import { nowSeconds, whippySignature } from './support/sign.js';

const OLD_KEY = 'whippy-key-before-the-rotation';
const RECRUITING_KEY = 'recruiting-key-0001';

/** Only the subscribers a test names take part; the probe's catch-alls stay off. */
const QUIET_PROBES = `
  test.everything: { enabled: false }
  test.ordered: { enabled: false }
  ProbeSubscribers.onConversationCreated: { enabled: false }
`;

const doctor = async (t: TestApp): Promise<DiagnosticsReport> =>
  (await t.admin('/admin/api/diagnostics').expect(200)).body;

const findings = (report: DiagnosticsReport, id: string, about: Partial<Finding> = {}) =>
  report.findings.filter(
    (f) =>
      f.id === id &&
      (about.source === undefined || f.source === about.source) &&
      (about.subscriber === undefined || f.subscriber === about.subscriber),
  );

/** Polls the doctor until a finding shows up (what it reads is committed by the writer). */
const finding = (t: TestApp, id: string, about: Partial<Finding> = {}): Promise<Finding> =>
  eventually(async () => findings(await doctor(t), id, about)[0]);

const post = (t: TestApp, body: string, headers: Record<string, string>, source = 'whippy') =>
  t.http.post(`/webhooks/${source}`).set('content-type', 'application/json').set(headers).send(body);

const signed = (key: string, body: string, t?: number) => ({
  'x-whippy-signature': whippySignature(key, body, { t }).header,
});

describe('the doctor: GET /admin/api/diagnostics and switchyard doctor', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { stdio: 'inherit' });
  }, 120_000);

  describe('on a healthy set-up', () => {
    let t: TestApp;
    let url: string;

    beforeAll(async () => {
      t = await startApp({
        configDir: configDirWith(
          `subscribers:${QUIET_PROBES}  test.flaky: { enabled: false }\n  test.contacts: { enabled: false }\n`,
        ),
        modules: [ProbeModule],
      });
      await t.app.listen(0, '127.0.0.1');
      url = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    });
    afterAll(() => t.close());

    it('answers ok with the fixed shape, and switchyard doctor exits 0', async () => {
      const id = await t.ingest('message.created');
      await eventually(() =>
        t.app
          .get(Probe)
          .of('test.steady')
          .some((call) => call.eventId === id),
      );
      const report = await eventually(async () => {
        const r = await doctor(t);
        return r.findings.some((f) => f.id === 'types.ok') && r;
      });
      expect(Object.keys(report).sort()).toEqual(['checkedAt', 'findings', 'ok']);
      expect(report.ok).toBe(true);
      expect(new Date(report.checkedAt).toISOString()).toBe(report.checkedAt);
      for (const f of report.findings) {
        expect(['ok', 'info']).toContain(f.severity);
        for (const key of Object.keys(f))
          expect(['id', 'severity', 'title', 'evidence', 'fix', 'source', 'subscriber']).toContain(key);
      }
      const ids = report.findings.map((f) => f.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          'source.receiving',
          'public-url.unset',
          'signature.ok',
          'types.ok',
          'delivery.ok',
          'schema.ok',
        ]),
      );

      const run = await switchyard(['doctor', '--url', url, '--token', ADMIN_TOKEN], {});
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/✓ ok +Source whippy receives events/);
      expect(run.stdout).toContain('All clear');
    });

    it('refuses without the admin token, and the command says so', async () => {
      await t.http.get('/admin/api/diagnostics').expect(401);
      const run = await switchyard(['doctor', '--url', url, '--token', 'wrong'], {});
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('answered 401');
    });

    it('exits 1 once something is wrong, and prints the fix', async () => {
      const forged = envelope('message.created');
      await post(t, forged, signed('not-the-key', forged)).expect(401);
      const run = await switchyard(['doctor', '--url', url, '--token', ADMIN_TOKEN], {});
      expect(run.code).toBe(1);
      expect(run.stdout).toMatch(/✗ error +Signatures fail on source whippy: the signing key is wrong/);
      expect(run.stdout).toContain('fix: Put the API key selected for the Whippy developer application');
      expect(run.stdout).toMatch(/^[1-9]\d* error\(s\), \d+ warning\(s\): see the fixes above\.$/m);
      expect((await doctor(t)).ok).toBe(false);
    });
  });

  describe('finds each troubleshooting row', () => {
    let t: TestApp;
    let probe: Probe;

    beforeEach(async () => {
      t = await startApp({
        env: { WHIPPY_SIGNING_KEYS: `${WHIPPY_KEY},${OLD_KEY}` },
        configDir: configDirWith(`
sources:
  whippy:
    retiredKeys: [whippy-retired-key]
  recruiting:
    keys: [${RECRUITING_KEY}]
delivery:
  maxAttempts: 1
subscribers:${QUIET_PROBES}`),
        modules: [ProbeModule],
      });
      probe = t.app.get(Probe);
    });
    afterEach(() => t.close());

    it('a source that never received anything', async () => {
      await t.ingest('message.created');
      const f = await finding(t, 'source.never-received', { source: 'recruiting' });
      expect(f.severity).toBe('warning');
      expect(f.fix).toContain('/webhooks/recruiting');
      expect(findings(await doctor(t), 'source.receiving', { source: 'whippy' })).toHaveLength(1);
    });

    it('a forged signature: the wrong key, with nothing accepted since', async () => {
      const body = envelope('message.created');
      await post(t, body, signed('someone-elses-key', body)).expect(401);
      const f = await finding(t, 'signature.wrong-key', { source: 'whippy' });
      expect(f.severity).toBe('error');
      expect(f.evidence).toContain('1 request(s) to /webhooks/whippy refused with 401');
      expect(f.evidence).toContain('no event has been accepted on this source since');
      expect(f.fix).toContain('WHIPPY_SIGNING_KEYS');
      expect(JSON.stringify(await doctor(t))).not.toContain('someone-elses-key');
    });

    it("a signature made with the ring's retired key", async () => {
      const body = envelope('message.created');
      await post(t, body, signed('whippy-retired-key', body)).expect(401);
      const f = await finding(t, 'signature.retired-key', { source: 'whippy' });
      expect(f.evidence).toContain('retired key #0');
      expect(f.fix).toContain('Switch the application to the current key');
      expect(JSON.stringify(await doctor(t))).not.toContain('whippy-retired-key');
    });

    it('an older key of the ring still in use (accepted, a rotation half done)', async () => {
      const body = envelope('message.created');
      await post(t, body, signed(OLD_KEY, body)).expect(200);
      const f = await finding(t, 'signature.old-key-in-use', { source: 'whippy' });
      expect(f.severity).toBe('info');
      expect(f.evidence).toContain('key #1 of the ring');
    });

    it('a skewed clock', async () => {
      const body = envelope('message.created');
      await post(t, body, signed(WHIPPY_KEY, body, nowSeconds() - 3600)).expect(401);
      const f = await finding(t, 'signature.clock-skew', { source: 'whippy' });
      expect(f.evidence).toMatch(/was 360\d s behind this machine's clock/);
      expect(f.fix).toContain('NTP');
    });

    it('a body altered in transit', async () => {
      const data = JSON.parse(envelope('message.created'));
      const sent = JSON.stringify(data);
      await post(t, JSON.stringify(data, null, 2), signed(WHIPPY_KEY, sent)).expect(401);
      const f = await finding(t, 'signature.body-altered', { source: 'whippy' });
      expect(f.evidence).toContain('matches the body as compact JSON');
    });

    it('a missing header, and a request signed for another source', async () => {
      const body = envelope('message.created');
      await post(t, body, {}).expect(401);
      await post(t, body, signed(RECRUITING_KEY, body)).expect(401);
      expect((await finding(t, 'signature.missing-header', { source: 'whippy' })).fix).toContain(
        'another sender than Whippy',
      );
      expect((await finding(t, 'signature.other-source', { source: 'whippy' })).evidence).toContain(
        "matches key #0 of source 'recruiting'",
      );
    });

    it('types no route wants, and a route for a type never sent', async () => {
      // test.contacts wants contact.*; only contact.created is sent. test.steady and
      // test.flaky want message.created; nobody wants conversation.created.
      await t.ingest('contact.created');
      await t.ingest('message.created');
      const unwanted = await t.ingest('conversation.created');
      const never = await finding(t, 'types.never-arrived');
      expect(never.severity).toBe('warning');
      expect(never.evidence).toContain('contact.updated (test.contacts)');
      expect(never.evidence).not.toContain('contact.created');
      expect(never.fix).toContain(': contact.updated.');
      const extra = await finding(t, 'types.unwanted');
      expect(extra.severity).toBe('info');
      expect(extra.evidence).toContain(`conversation.created ×1 (e.g. event ${unwanted})`);
      expect(extra.fix).toContain('Deselect conversation.created');
    });

    it('a dead delivery', async () => {
      probe.on('test.flaky', () => {
        throw new PermanentFailure('the CRM answered 400: contact_id is required');
      });
      const id = await t.ingest('message.created');
      const f = await finding(t, 'delivery.dead', { subscriber: 'test.flaky' });
      expect(f.severity).toBe('error');
      expect(f.title).toBe('1 dead delivery for test.flaky');
      expect(f.evidence).toContain(`of event ${id}`);
      expect(f.evidence).toContain('contact_id is required');
      expect(f.fix).toContain('switchyard redrive test.flaky');
      expect(findings(await doctor(t), 'delivery.dead', { subscriber: 'test.steady' })).toHaveLength(0);
    });

    it('schema drift: fields the catalog does not know, and invalid events by field', async () => {
      const drifted = await t.ingest('message.created', {
        ...fixture('message.created'),
        sentiment_score: 0.7,
      });
      const invalid = await t.ingest('conversation.updated', {
        ...fixture('conversation.updated'),
        unread_count: 'many',
      });
      const extra = await finding(t, 'schema.extra-fields');
      expect(extra.evidence).toContain(`data.sentiment_score in message.created: 1 event(s)`);
      expect(extra.evidence).toContain(`e.g. event ${drifted}`);
      const bad = await finding(t, 'schema.invalid-events');
      expect(bad.severity).toBe('warning');
      expect(bad.evidence).toContain(
        'data.unread_count (must be an integer) in conversation.updated: 1 event(s)',
      );
      expect(bad.evidence).toContain(`e.g. event ${invalid}`);
    });
  });

  describe('timing rows', () => {
    let t: TestApp;

    afterEach(() => t.close());

    it('a source that went silent after steady traffic', async () => {
      t = await startApp({
        configDir: configDirWith('diagnostics:\n  silenceMinutes: 0.01\n'),
      });
      await Promise.all([t.ingest('message.created'), t.ingest('message.created')]);
      // silenceMinutes is 0.6 s here: the doctor reports the silence once it has lasted that long.
      const f = await finding(t, 'source.silent', { source: 'whippy' });
      expect(f.severity).toBe('error');
      expect(f.evidence).toMatch(/received 2 events in the \d+ seconds? up to .*, then nothing for/);
      expect(f.fix).toContain('switched off in Whippy');
    });

    it('a growing backlog', async () => {
      t = await startApp({
        configDir: configDirWith(`diagnostics:\n  backlogMinutes: 0.01\nsubscribers:${QUIET_PROBES}`),
        modules: [ProbeModule],
      });
      // Runs until the service stops (and aborts it).
      t.app
        .get(Probe)
        .on(
          'test.steady',
          (_, ctx) => new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve())),
        );
      await t.ingest('message.created');
      const f = await finding(t, 'delivery.backlog', { subscriber: 'test.steady' });
      expect(f.severity).toBe('warning');
      expect(f.evidence).toMatch(/^1 unfinished \(0 pending, 1 running, 0 failed/);
      await t.ingest('message.created');
      const grown = await eventually(async () => {
        const [b] = findings(await doctor(t), 'delivery.backlog', { subscriber: 'test.steady' });
        return b?.evidence.includes('it grew from') && b;
      });
      expect(grown.evidence).toMatch(/^2 unfinished/);
    });

    it('the Whippy application or endpoint switched off, read through the API', async () => {
      const whippy = new FakeWhippy(['doctor-api-key']);
      const env = {
        WHIPPY_API_KEY: 'doctor-api-key',
        WHIPPY_API_URL: await whippy.start(),
        PUBLIC_URL: 'https://hooks.example.com',
      };
      try {
        const app = whippy.addApplication('doctor-api-key', { active: false });
        t = await startApp({ env });
        const off = await finding(t, 'whippy.application-off', { source: 'whippy' });
        expect(off.severity).toBe('error');
        expect(off.evidence).toContain(`application ${app.id} as inactive`);
        await t.close();

        app.active = true;
        const endpoint = whippy.addEndpoint(app, { active: false });
        t = await startApp({ env });
        const endpointOff = await finding(t, 'whippy.endpoint-off', { source: 'whippy' });
        expect(endpointOff.evidence).toContain(`endpoint ${endpoint.id}`);
        expect(endpointOff.fix).toContain('switchyard whippy sync-endpoint --apply');
        expect(whippy.writes()).toEqual([]);
        expect(whippy.requests.length).toBeGreaterThan(0);
        await t.close();

        t = await startApp({ env: { ...env, WHIPPY_API_KEY: 'not-a-key-whippy-knows' } });
        const unreadable = await finding(t, 'whippy.unreadable', { source: 'whippy' });
        expect(unreadable.evidence).toContain('answered 401: Invalid API key');
        expect(JSON.stringify(await doctor(t))).not.toContain('not-a-key-whippy-knows');
      } finally {
        await whippy.close();
      }
    });

    it('PUBLIC_URL: reached through it, or not', async () => {
      t = await startApp();
      await t.app.listen(0, '127.0.0.1');
      const port = (t.app.getHttpServer().address() as AddressInfo).port;
      await t.close();
      const closed = await freePort();
      t = await startApp({ env: { PUBLIC_URL: `http://127.0.0.1:${closed}` } });
      const down = await finding(t, 'public-url.unreachable');
      expect(down.severity).toBe('error');
      expect(down.evidence).toContain(`GET http://127.0.0.1:${closed}/health/live failed: ECONNREFUSED`);
      await t.close();

      t = await startApp({ env: { PUBLIC_URL: `http://127.0.0.1:${port}/` } });
      await t.app.listen(port, '127.0.0.1');
      const reached = await finding(t, 'public-url.not-https');
      expect(reached.evidence).toContain(`GET http://127.0.0.1:${port}/health/live answered`);
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
