import type { Page } from 'playwright-core';
import { PermanentFailure } from '../src/platform/bus/index.js';
import { ADMIN_TOKEN, configDirWith, startApp, TestApp } from './support/app.js';
import { artifactPath, Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { fixture } from './support/events.js';
import { describeWith } from './support/external.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

/** Waits in the browser, never by the clock of the test: each step ends when the page shows it. */
const WAIT = { timeout: 15_000 };

describe('GET /admin (the page itself)', () => {
  it('is served with a strict Content-Security-Policy, and its assets too', async () => {
    const t = await startApp();
    try {
      const page = await t.http.get('/admin').expect(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = page.headers['content-security-policy'];
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(csp).not.toContain('unsafe');
      expect(page.text).toContain('<script type="module" src="/admin/assets/admin.js"></script>');
      const script = await t.http.get('/admin/assets/admin.js').expect(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
      await t.http.get('/admin/assets/admin.css').expect('content-type', 'text/css; charset=utf-8');
    } finally {
      await t.close();
    }
  });

  it('does not exist when /admin is off (no ADMIN_TOKEN outside development)', async () => {
    const t = await startApp({ env: { ADMIN_TOKEN: undefined } });
    try {
      await t.http.get('/admin').expect(404);
      await t.http.get('/admin/assets/admin.js').expect(404);
    } finally {
      await t.close();
    }
  });
});

describeWith(chromiumAvailable(), 'the /admin page in chromium', () => {
  let t: TestApp;
  let probe: Probe;
  let browser: Browser;
  let page: Page;
  let base: string;
  let partnerDown = true;
  const problems: string[] = [];

  beforeAll(async () => {
    t = await startApp({
      configDir: configDirWith(
        'delivery:\n  maxAttempts: 2\n  backoff: { initialMs: 20, maxMs: 40, jitter: false }\n',
      ),
      modules: [ProbeModule],
    });
    await t.app.listen(0, '127.0.0.1');
    base = await t.app.getUrl();
    probe = t.app.get(Probe);
    // A partner integration that refuses everything until the test "fixes" it.
    probe.on('test.flaky', () => {
      if (partnerDown) throw new PermanentFailure('partner API answered 503');
    });
    browser = await launchBrowser();
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    // A CSP violation or a script error shows here; the page must cause none.
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  afterEach(() => expect(problems).toEqual([]));

  it('asks for the token, refuses a wrong one, and keeps the right one for the tab', async () => {
    await page.goto(`${base}/admin`);
    await page.locator('#signin').waitFor(WAIT);
    await page.fill('#token', 'not-the-token');
    await page.click('#signin button[type=submit]');
    await page.getByText('That token was refused.').waitFor(WAIT);
    // Refusals are the API's 401s: the console logs them as failed loads; they are expected here.
    problems.length = 0;
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('#signin button[type=submit]');
    await page.locator('#events').waitFor(WAIT);
    expect(await page.evaluate('sessionStorage.getItem("switchyard.adminToken")')).toBe(ADMIN_TOKEN);
    await page.reload();
    await page.locator('#events').waitFor(WAIT);
  });

  it('shows a signed event that arrives while the page is open, and opens it', async () => {
    await page.goto(`${base}/admin#/events`);
    await page.locator('#events').waitFor(WAIT);
    const id = await t.ingest('message.created');
    const row = page.locator(`#events-body tr[data-id="${id}"]`);
    await row.waitFor(WAIT);
    await page.locator(`#events-body tr[data-id="${id}"] .badge.routed`).waitFor(WAIT);
    await page.screenshot({ path: artifactPath('admin-events.png') });

    await row.click();
    await page.locator('#raw-body').waitFor(WAIT);
    const stored = (await t.admin(`/admin/api/events/${id}`).expect(200)).body;
    expect(await page.locator('#raw-body').textContent()).toBe(
      JSON.stringify(JSON.parse(stored.rawBody), null, 2),
    );
    expect(await page.locator('#verification').textContent()).toContain('whippy');
    expect(await page.locator('#verification').textContent()).toContain('#0 (current)');
    await page.locator('tr[data-subscriber="test.steady"][data-status="succeeded"]').waitFor(WAIT);
  });

  it('filters the log by contact and type from the form, and keeps the filter in the address', async () => {
    const contact = `contact-${Date.now()}`;
    const mine = await t.ingest('message.created', { ...fixture('message.created'), contact_id: contact });
    const other = await t.ingest('message.created');
    await page.goto(`${base}/admin#/events`);
    await page.locator(`#events-body tr[data-id="${other}"]`).waitFor(WAIT);
    await page.fill('#event-filters input[name=contact]', contact);
    await page.fill('#event-filters input[name=type]', 'message.created');
    await page.click('#event-filters button[type=submit]');
    await page.waitForURL(/contact=/, WAIT);
    await page.locator(`#events-body tr[data-id="${mine}"]`).waitFor(WAIT);
    expect(await page.locator('#events-body tr').count()).toBe(1);
    expect(new URL(page.url()).hash).toBe(`#/events?type=message.created&contact=${contact}`);
  });

  it('retries a dead delivery from the event and sees it succeed', async () => {
    partnerDown = true;
    const id = await t.ingest('message.created');
    await page.goto(`${base}/admin#/events/${id}`);
    const dead = page.locator('tr[data-subscriber="test.flaky"][data-status="dead"]');
    await dead.waitFor(WAIT);
    expect(await dead.textContent()).toContain('partner API answered 503');
    await page.screenshot({ path: artifactPath('admin-event.png') });

    partnerDown = false;
    await dead.getByRole('button', { name: 'Retry' }).click();
    await page.locator('tr[data-subscriber="test.flaky"][data-status="succeeded"]').waitFor(WAIT);
    expect(probe.of('test.flaky').filter((c) => c.eventId === id).length).toBe(2);
  });

  it('lists dead deliveries and redrives a subscriber', async () => {
    partnerDown = true;
    const id = await t.ingest('message.created');
    await page.goto(`${base}/admin#/deliveries?status=dead&subscriber=test.flaky`);
    const row = page
      .locator('#deliveries-list tr[data-subscriber="test.flaky"][data-status="dead"]')
      .filter({ hasText: id });
    await row.waitFor(WAIT);
    await page.screenshot({ path: artifactPath('admin-deliveries.png') });

    partnerDown = false;
    await page.getByRole('button', { name: 'Redrive every dead delivery of test.flaky' }).click();
    await page.getByText('No dead deliveries.').waitFor(WAIT);
    await page.goto(`${base}/admin#/events/${id}`);
    await page.locator('tr[data-subscriber="test.flaky"][data-status="succeeded"]').waitFor(WAIT);
  });

  it('explains a pasted payload: who gets it and why the others do not', async () => {
    await page.goto(`${base}/admin#/routes`);
    await page.locator('#route-table').waitFor(WAIT);
    await page.fill(
      '#explain-payload',
      JSON.stringify(
        { event: 'contact.created', request_id: 'r1', data: fixture('contact.created') },
        null,
        2,
      ),
    );
    await page.click('#explain button[type=submit]');
    await page.locator('#explain-result li.delivers[data-subscriber="test.contacts"]').waitFor(WAIT);
    expect(await page.locator('#explain-result li[data-subscriber="test.steady"]').textContent()).toContain(
      'does not subscribe to contact.created',
    );
    await page.screenshot({ path: artifactPath('admin-routes.png'), fullPage: true });

    // Only the data, with the type beside it.
    await page.fill('#explain-payload', JSON.stringify(fixture('message.created')));
    await page.fill('#explain-type', 'message.created');
    await page.click('#explain button[type=submit]');
    await page.locator('#explain-result li.delivers[data-subscriber="test.steady"]').waitFor(WAIT);
    expect(
      await page.locator('#explain-result li[data-subscriber="test.contacts"]').getAttribute('class'),
    ).toBe('skipped');
  });

  it('shows a hostile event body as text, never as markup', async () => {
    // Printable ASCII without spaces, so ingest keeps it as an (unknown) event type.
    const hostile = '<img/src=x/onerror="window.pwned=1">';
    const id = await t.ingest(hostile, { body: `<script>window.pwned=2</script>${hostile}` });
    await page.goto(`${base}/admin#/events`);
    const row = page.locator(`#events-body tr[data-id="${id}"]`);
    await row.waitFor(WAIT);
    expect(await row.locator('code').textContent()).toBe(hostile);
    await row.click();
    await page.locator('#raw-body').waitFor(WAIT);
    expect(await page.locator('#raw-body').textContent()).toContain(
      '"body": "<script>window.pwned=2</script>',
    );
    expect(await page.locator('main img, main script').count()).toBe(0);
    expect(await page.evaluate('window.pwned')).toBeUndefined();
  });

  it('shows sources and the doctor, or says plainly that this service has none', async () => {
    for (const [view, path, present] of [
      ['sources', 'sources', 'section[data-source="whippy"]'],
      ['doctor', 'diagnostics', '#doctor-summary'],
    ]) {
      const api = await t.admin(`/admin/api/${path}`);
      await page.goto(`${base}/admin#/${view}`);
      if (api.status === 404) {
        await page.locator('#not-available').waitFor(WAIT);
        expect(await page.locator('#not-available').textContent()).toContain(`GET /admin/api/${path}`);
        problems.length = 0; // the 404 itself is logged by the browser
      } else {
        await page.locator(present).waitFor(WAIT);
      }
      await page.screenshot({ path: artifactPath(`admin-${view}.png`), fullPage: true });
    }
  });
});
