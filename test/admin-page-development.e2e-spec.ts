import { jest } from '@jest/globals';
import { startApp } from './support/app.js';
import { Browser, chromiumAvailable, launchBrowser } from './support/browser.js';
import { describeWith } from './support/external.js';

const WAIT = { timeout: 15_000 };

// On its own, with a browser of its own: inside admin-page.e2e-spec.ts, beside the first app
// and its polling tab, this test hung now and then on Node 24 in full CI runs (never alone,
// never on Node 20), and the cause is not found yet. One retry, with the first failure
// printed, so a hang is still seen; each step has its own limit, so it says where it hung.
jest.retryTimes(1, { logErrorsBeforeRetry: true });

describeWith(chromiumAvailable(), 'the /admin page in development', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('lets a loopback browser in without a token', async () => {
    const dev = await startApp({ env: { APP_ENV: 'development', ADMIN_TOKEN: undefined } });
    const page = await browser.context.newPage();
    try {
      await dev.app.listen(0, '127.0.0.1');
      await page.goto(`${await dev.app.getUrl()}/admin`, WAIT);
      await page.locator('#events').waitFor(WAIT);
      expect(await page.locator('#signin').count()).toBe(0);
    } finally {
      // The tab first, then any connection it left: either could hold the app's close open.
      await page.close();
      dev.app.getHttpServer().closeAllConnections();
      await dev.close();
    }
    // Past the steps' own limits, so a step that hangs fails with its name, not this limit.
  }, 60_000);
});
