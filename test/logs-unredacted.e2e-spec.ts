import type { TestApp } from './support/app.js';
import { appWithLogs, deliveriesDone, EMAIL, PHONE, sendMessage } from './support/logs.js';

// Its own file: nestjs-pino keeps the first app's logger for the whole process.
describe('log lines with log.redact: false in development', () => {
  let t: TestApp | undefined;
  afterAll(() => t?.close());

  it('show the phone numbers and emails', async () => {
    const started = await appWithLogs({ LOG_LEVEL: 'info', APP_ENV: 'development', LOG_REDACT: 'false' });
    t = started.t;
    expect(t.config.log.redact).toBe(false);
    const { id } = await sendMessage(t);
    await deliveriesDone(t, id);
    expect(started.lines().join('\n')).toContain(`partner refused ${PHONE} <${EMAIL}>`);
  });
});
