import { startApp, TestApp } from './support/app.js';

/** What the admin API answers to input a client got wrong: a 4xx with the error body, never a 500. */
describe('admin API input', () => {
  let t: TestApp;
  let eventId: string;

  beforeAll(async () => {
    t = await startApp();
    eventId = await t.ingest('message.created');
  });
  afterAll(() => t.close());

  describe('repeated query parameters', () => {
    const lists: [string, string[]][] = [
      ['/admin/api/events', ['type', 'status', 'source', 'cursor', 'limit', 'since', 'until']],
      ['/admin/api/deliveries', ['status', 'subscriber', 'event', 'cursor', 'limit']],
      ['/admin/api/verification-failures', ['source', 'limit']],
    ];
    for (const [path, names] of lists) {
      for (const name of names) {
        it(`${path}?${name}=…&${name}=… answers 400 invalid_query`, async () => {
          const value = name === 'limit' ? '5' : name === 'since' || name === 'until' ? '2026-01-01' : 'a';
          const res = await t.admin(`${path}?${name}=${value}&${name}=${value}`).expect(400);
          expect(res.body).toEqual({ error: 'invalid_query', message: expect.stringContaining(name) });
        });
      }
    }
  });

  describe('the token is checked before the body is read', () => {
    it('answers 401 to an unauthenticated POST with a body over the limit', async () => {
      const res = await t.http
        .post(`/admin/api/events/${eventId}/replay`)
        .set('content-type', 'application/json')
        .send(`{"subscribers":["${'x'.repeat(2 * 1024 * 1024)}"]}`)
        .expect(401);
      expect(res.body.error).toBe('unauthorized');
    });

    it('answers 401 to an unauthenticated POST with malformed JSON', async () => {
      const res = await t.http
        .post('/admin/api/routes/explain')
        .set('content-type', 'application/json')
        .send('{"event": nope')
        .expect(401);
      expect(res.body.error).toBe('unauthorized');
    });

    it('answers 401 to an unauthenticated POST with another content type', async () => {
      await t.http
        .post('/admin/api/routes/explain')
        .set('content-type', 'text/plain')
        .send('hello')
        .expect(401);
    });

    it('with the token, the same bodies get 413, 400 and 415', async () => {
      const auth = { authorization: 'Bearer test-admin-token' };
      const big = await t.http
        .post(`/admin/api/events/${eventId}/replay`)
        .set(auth)
        .set('content-type', 'application/json')
        .send(`{"subscribers":["${'x'.repeat(2 * 1024 * 1024)}"]}`)
        .expect(413);
      expect(big.body).toEqual({ error: 'payload_too_large', message: expect.any(String) });
      const bad = await t.http
        .post('/admin/api/routes/explain')
        .set(auth)
        .set('content-type', 'application/json')
        .send('{"event": nope')
        .expect(400);
      expect(bad.body).toEqual({ error: 'invalid_json', message: expect.any(String) });
      const text = await t.http
        .post('/admin/api/routes/explain')
        .set(auth)
        .set('content-type', 'text/plain')
        .send('hello')
        .expect(415);
      expect(text.body).toEqual({ error: 'unsupported_media_type', message: expect.any(String) });
    });
  });
});
