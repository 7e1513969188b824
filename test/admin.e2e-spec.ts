import { startApp, TestApp } from './support/app.js';
import { fixture } from './support/events.js';

describe('admin read API', () => {
  describe('with ADMIN_TOKEN set', () => {
    let t: TestApp;
    const ids: string[] = [];

    beforeAll(async () => {
      t = await startApp();
      for (const type of [
        'message.created',
        'contact.created',
        'message.created',
        'lead.new',
        'mystery.thing',
      ]) {
        ids.push(await t.ingest(type, { id: type }));
      }
    });
    afterAll(() => t.close());

    it('answers 401 without the bearer token or with a wrong one', async () => {
      await t.http.get('/admin/api/events').expect(401);
      await t.http.get('/admin/api/events').set('authorization', 'Bearer nope').expect(401);
      await t.http.get('/admin/api/verification-failures').expect(401);
    });

    it('lists events newest first with the documented fields', async () => {
      const res = await t.admin('/admin/api/events').expect(200);
      expect(res.body.items.map((e: { id: string }) => e.id)).toEqual([...ids].reverse());
      expect(res.body.items[0]).toEqual({
        id: ids[4],
        source: 'whippy',
        requestId: expect.any(String),
        type: 'mystery.thing',
        status: 'unknown',
        receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      expect(res.body.nextCursor).toBeNull();
    });

    it('pages with limit and cursor', async () => {
      const seen: string[] = [];
      let cursor: string | null = '';
      do {
        const path: string = `/admin/api/events?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page: { items: { id: string }[]; nextCursor: string | null } = (await t.admin(path).expect(200))
          .body;
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((e) => e.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual([...ids].reverse());
    });

    it('filters by type, status and source', async () => {
      const byType = await t.admin('/admin/api/events?type=message.created').expect(200);
      expect(byType.body.items.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[0]]);
      const byStatus = await t.admin('/admin/api/events?status=unknown').expect(200);
      expect(byStatus.body.items.map((e: { id: string }) => e.id)).toEqual([ids[4]]);
      const bySource = await t.admin('/admin/api/events?source=elsewhere').expect(200);
      expect(bySource.body.items).toEqual([]);
    });

    it('filters by time', async () => {
      const future = new Date(Date.now() + 60_000).toISOString();
      expect((await t.admin(`/admin/api/events?since=${future}`).expect(200)).body.items).toEqual([]);
      expect((await t.admin(`/admin/api/events?until=${future}`).expect(200)).body.items).toHaveLength(5);
    });

    it('filters by contact: data.contact_id, or data.contact.id', async () => {
      const contact = `contact-${Date.now()}`;
      const { contact: leadContact, ...lead } = fixture('lead.new') as { contact: object };
      const mine = [
        await t.ingest('message.created', { ...fixture('message.created'), contact_id: contact }),
        await t.ingest('lead.new', { ...lead, contact: { ...leadContact, id: contact } }),
      ];
      await t.ingest('message.created', { ...fixture('message.created'), contact_id: 'someone-else' });
      const res = await t.admin(`/admin/api/events?contact=${contact}`).expect(200);
      expect(res.body.items.map((e: { id: string }) => e.id)).toEqual([...mine].reverse());
      const typed = await t.admin(`/admin/api/events?contact=${contact}&type=lead.new`).expect(200);
      expect(typed.body.items.map((e: { id: string }) => e.id)).toEqual([mine[1]]);
    });

    it('answers 400 for a bad limit or time, 404 for an unknown event', async () => {
      await t.admin('/admin/api/events?limit=0').expect(400);
      await t.admin('/admin/api/events?limit=lots').expect(400);
      await t.admin('/admin/api/events?since=yesterday').expect(400);
      await t.admin('/admin/api/events/01NOPE').expect(404);
    });
  });

  it('is off entirely outside development when no ADMIN_TOKEN is set', async () => {
    const t = await startApp({ env: { ADMIN_TOKEN: undefined } });
    try {
      await t.http.get('/admin/api/events').expect(404);
    } finally {
      await t.close();
    }
  });

  it('in development without ADMIN_TOKEN lets loopback clients in', async () => {
    const t = await startApp({ env: { APP_ENV: 'development', ADMIN_TOKEN: undefined } });
    try {
      await t.http.get('/admin/api/events').expect(200);
    } finally {
      await t.close();
    }
  });
});

describe('health', () => {
  let t: TestApp;
  beforeAll(async () => (t = await startApp()));
  afterAll(() => t.close());

  it('answers live and ready when the store answers', async () => {
    await t.http.get('/health/live').expect(200);
    const ready = await t.http.get('/health/ready').expect(200);
    expect(ready.body.details.store.status).toBe('up');
  });
});
