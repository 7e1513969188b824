import type { TestApp } from './support/app.js';
import { appWithLogs, sendMessage } from './support/logs.js';

interface RequestLine {
  level: number;
  req?: { method: string; url: string };
  res?: { statusCode: number };
}

// nestjs-pino keeps one logger per process (the first app's): this file's app is the only one.
describe('request log', () => {
  let t: TestApp;
  let lines: () => string[];
  beforeAll(async () => {
    ({ t, lines } = await appWithLogs({ LOG_LEVEL: 'debug' }));
  });
  afterAll(() => t.close());

  const requestLines = () =>
    lines()
      .map((line) => JSON.parse(line) as RequestLine)
      .filter((line) => line.req !== undefined && line.res !== undefined);
  const linesFor = (url: string) => requestLines().filter((line) => line.req!.url === url);

  it('has one line per admin or unknown request: warn for a 4xx, debug for a success, no query', async () => {
    await t.http.get('/admin/api/events?token=leaked-secret-123').expect(401);
    await t.admin('/admin/api/sources').expect(200);
    await t.http.get('/nowhere').expect(404);

    expect(linesFor('/admin/api/events')).toEqual([
      expect.objectContaining({ level: 40, res: expect.objectContaining({ statusCode: 401 }) }),
    ]);
    expect(linesFor('/admin/api/sources')).toEqual([
      expect.objectContaining({ level: 20, res: expect.objectContaining({ statusCode: 200 }) }),
    ]);
    expect(linesFor('/nowhere')).toEqual([
      expect.objectContaining({ level: 40, res: expect.objectContaining({ statusCode: 404 }) }),
    ]);
    expect(lines().join('\n')).not.toContain('leaked-secret-123');
  });

  it('has no line for a webhook, accepted or refused: the event log and the RejectionLog tell those', async () => {
    const { id } = await sendMessage(t);
    await t.http
      .post('/webhooks/whippy')
      .set('content-type', 'application/json')
      .set('x-whippy-signature', 'v1,forged')
      .send('{"event":"message.created"}')
      .expect(401);

    expect(lines().some((line) => line.includes(`event ${id} received`))).toBe(true);
    expect(requestLines().filter((line) => line.req!.url.startsWith('/webhooks/'))).toEqual([]);
  });
});
