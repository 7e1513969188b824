import type supertest from 'supertest';
import { ADMIN_TOKEN, startApp, TestApp } from './support/app.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';

interface Operation {
  method: 'get' | 'post';
  path: string;
  query: { name: string; schema: { type?: string; enum?: unknown[]; format?: string } }[];
  hasBody: boolean;
}

/** Every operation the OpenAPI document lists, so a route added later is walked too. */
async function operations(t: TestApp): Promise<Operation[]> {
  const doc = (await t.admin('/admin/docs/openapi.json').expect(200)).body as {
    paths: Record<
      string,
      Record<string, { parameters?: { name: string; in: string; schema: object }[]; requestBody?: object }>
    >;
  };
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method as 'get' | 'post',
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query') as Operation['query'],
      hasBody: op.requestBody !== undefined,
    })),
  );
}

const UNKNOWN_ID = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
const BAD_IDS = [
  UNKNOWN_ID,
  'x'.repeat(300),
  '%00',
  '%FF%FE',
  'null',
  '..%2F..',
  encodeURIComponent('\u0000;drop'),
];
const BAD_BODIES: { type: string; body: string }[] = [
  { type: 'application/json', body: '{' },
  { type: 'application/json', body: '{"event": "message.created", "data": {}' },
  { type: 'application/json', body: '[]' },
  { type: 'application/json', body: '"text"' },
  { type: 'application/json', body: 'null' },
  { type: 'application/json', body: '12' },
  { type: 'application/json', body: '['.repeat(5000) + ']'.repeat(5000) },
  {
    type: 'application/json',
    body: JSON.stringify({
      event: 12,
      data: 'x',
      source: [],
      subscribers: 'a',
      since: 5,
      until: 'later',
      dryRun: 'yes',
    }),
  },
  {
    type: 'application/json',
    body: JSON.stringify({
      event: 'x'.repeat(10_000),
      data: [],
      subscribers: [1, null, {}],
      since: '2026-13-45',
      dryRun: 0,
    }),
  },
  {
    type: 'application/json',
    body: JSON.stringify({
      subscribers: Array.from({ length: 1000 }, (_, i) => `s${i}`),
      since: { $gt: '' },
    }),
  },
  {
    type: 'application/json',
    body: JSON.stringify({ subscribers: ['x'.repeat(1000)], until: ['2026-01-01'], dryRun: [false] }),
  },
  { type: 'application/json', body: `{"subscribers":["${'x'.repeat(1_100_000)}"]}` },
  { type: 'application/json; charset=latin1', body: '{}' },
  { type: 'text/plain', body: '{"event":"message.created","data":{}}' },
  { type: 'application/x-www-form-urlencoded', body: 'event=message.created&data=1' },
];

/** A 4xx with the error body; never a 5xx, never Nest's or Express's own shape. */
function expectClientError(res: supertest.Response, what: string): void {
  if (res.status < 400 || res.status >= 500) {
    throw new Error(`${what}: answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  }
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(Object.keys(res.body).sort()).toEqual(expect.arrayContaining(['error', 'message']));
  expect(typeof res.body.error).toBe('string');
  expect(typeof res.body.message).toBe('string');
  expect(res.body).not.toHaveProperty('statusCode');
}

const server = await postgres();

/** What the admin API answers to input a client got wrong: a 4xx with the error body, never a 500. */
describe('admin API input on SQLite', () => inputSuite(() => ({ env: {} })));

describeWith(server, 'admin API input on PostgreSQL', () => {
  let database: { url: string; drop(): Promise<void> };
  beforeAll(async () => {
    database = await freshDatabase(server.url!);
  });
  afterAll(() => database?.drop());
  inputSuite(() => ({ env: { DATABASE_URL: database.url } }));
});

function inputSuite(options: () => { env: Record<string, string> }): void {
  let t: TestApp;
  let eventId: string;

  beforeAll(async () => {
    t = await startApp(options());
    eventId = await t.ingest('message.created');
  });
  afterAll(() => t?.close());

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

  describe('every admin route, walked with bad input', () => {
    let ops: Operation[];
    beforeAll(async () => {
      ops = await operations(t);
    });
    const send = (op: Operation, path: string) =>
      (op.method === 'get' ? t.http.get(path) : t.http.post(path)).set(
        'authorization',
        `Bearer ${ADMIN_TOKEN}`,
      );
    const withId = (op: Operation, id: string) => op.path.replace(/\{[^}]+\}/g, id);

    it('the OpenAPI document lists the admin routes', () => {
      const listed = ops.map((op) => `${op.method.toUpperCase()} ${op.path}`);
      expect(listed).toEqual(
        expect.arrayContaining([
          'GET /admin/api/events',
          'GET /admin/api/events/{id}',
          'GET /admin/api/verification-failures',
          'GET /admin/api/routes',
          'POST /admin/api/routes/explain',
          'POST /admin/api/events/{id}/replay',
          'GET /admin/api/deliveries',
          'POST /admin/api/deliveries/{id}/retry',
          'POST /admin/api/subscribers/{id}/redrive',
          'POST /admin/api/subscribers/{id}/backfill',
        ]),
      );
    });

    it('unknown or malformed ids get 404 (or 400), with the error body', async () => {
      for (const op of ops.filter((o) => o.path.includes('{'))) {
        for (const id of BAD_IDS) {
          const res = await send(op, withId(op, id));
          expectClientError(res, `${op.method} ${withId(op, id)}`);
          expect([400, 404]).toContain(res.status);
        }
      }
    });

    it('wrong types, repeated and over-long query parameters get 400 invalid_query', async () => {
      for (const op of ops) {
        const path = withId(op, UNKNOWN_ID);
        for (const { name, schema } of op.query) {
          const typed = schema.type === 'number' || schema.enum || schema.format || name === 'cursor';
          const values = [`${name}=a&${name}=b`, `${name}=${'x'.repeat(1000)}`, `${name}=%00%FF`];
          if (typed) values.push(`${name}=nope`, `${name}=-1`, `${name}=1e999`, `${name}=99999999999`);
          for (const query of values) {
            if (name === 'limit' && query === `${name}=%00%FF`) continue;
            const res = await send(op, `${path}?${query}`);
            expectClientError(res, `${op.method} ${path}?${query.slice(0, 40)}`);
            expect(res.status).toBe(400);
            expect(res.body.error).toBe('invalid_query');
          }
        }
      }
    });

    it('malformed, mistyped, oversized and non-JSON bodies get a 4xx with the error body', async () => {
      for (const op of ops.filter((o) => o.method === 'post')) {
        for (const { type, body } of BAD_BODIES) {
          if (!op.hasBody && !type.startsWith('application/json')) continue;
          for (const id of [UNKNOWN_ID, 'test.nobody']) {
            const path = withId(op, id);
            const res = await send(op, path).set('content-type', type).send(body);
            expectClientError(res, `${op.method} ${path} ${type} ${body.slice(0, 60)}`);
          }
        }
      }
    });

    it('without the token every route, and the docs, answer 401 with the error body', async () => {
      for (const op of [...ops, { method: 'get', path: '/admin/docs' } as Operation]) {
        const path = withId(op, UNKNOWN_ID);
        const res = await (op.method === 'get' ? t.http.get(path) : t.http.post(path).send('{'));
        expect(res.status).toBe(401);
        expectClientError(res, `${op.method} ${path}`);
      }
    });
  });
}
