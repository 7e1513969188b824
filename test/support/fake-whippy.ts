import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeApplication {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
  key: string;
}

export interface FakeEndpoint {
  id: string;
  developer_application_id: string;
  url: string;
  event_types: string[];
  active: boolean;
}

export interface FakeRequest {
  method: string;
  path: string;
  body: unknown;
}

type Json = Record<string, unknown>;

class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Whippy's developer-applications API on 127.0.0.1, checking requests as the real one would:
 * the X-WHIPPY-KEY header (an application belongs to the key that created it), JSON bodies,
 * field types, an existing application for an endpoint, an https URL, known-looking event
 * types. Answers `{data}`, and `{error, status}` on a refusal.
 */
export class FakeWhippy {
  readonly applications: FakeApplication[] = [];
  readonly endpoints: FakeEndpoint[] = [];
  readonly requests: FakeRequest[] = [];
  private server?: Server;

  constructor(private readonly keys: string[]) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** Requests that changed something. */
  writes(): FakeRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  addApplication(key: string, fields: Partial<FakeApplication> = {}): FakeApplication {
    const app: FakeApplication = {
      id: randomUUID(),
      name: 'Switchyard',
      description: null,
      active: true,
      key,
      ...fields,
    };
    this.applications.push(app);
    return app;
  }

  addEndpoint(app: FakeApplication, fields: Partial<FakeEndpoint> = {}): FakeEndpoint {
    const endpoint: FakeEndpoint = {
      id: randomUUID(),
      developer_application_id: app.id,
      url: 'https://hooks.example.com/webhooks/whippy',
      event_types: ['message.created'],
      active: true,
      ...fields,
    };
    this.endpoints.push(endpoint);
    return endpoint;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = text;
    }
    this.requests.push({ method: req.method ?? '', path: url.pathname + url.search, body });
    try {
      const key = req.headers['x-whippy-key'];
      if (typeof key !== 'string' || !this.keys.includes(key)) throw new Refusal(401, 'Invalid API key');
      if (req.method !== 'GET') {
        if (!/^application\/json/.test(req.headers['content-type'] ?? ''))
          throw new Refusal(415, 'Content-Type must be application/json');
        if (!body || typeof body !== 'object' || Array.isArray(body))
          throw new Refusal(400, 'Malformed JSON body');
      }
      const { status, data } = this.route(req.method ?? '', url, key, body as Json);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ data }));
    } catch (error) {
      const refusal = error instanceof Refusal ? error : new Refusal(500, String(error));
      res
        .writeHead(refusal.status, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: refusal.message, status: refusal.status }));
    }
  }

  private route(method: string, url: URL, key: string, body: Json): { status: number; data: unknown } {
    const mine = this.applications.filter((app) => app.key === key);
    const app = (id: unknown) => {
      const found = mine.find((a) => a.id === id);
      if (!found) throw new Refusal(404, 'Developer application not found');
      return found;
    };
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (path === '/v1/developers/applications' && method === 'GET')
      return { status: 200, data: mine.map(view) };
    if (path === '/v1/developers/applications' && method === 'POST') {
      const created = this.addApplication(key, applicationFields(body, true));
      return { status: 201, data: view(created) };
    }
    if ((match = /^\/v1\/developers\/applications\/([^/]+)$/.exec(path)) && method === 'PUT') {
      const found = app(match[1]);
      Object.assign(found, applicationFields(body, false));
      return { status: 200, data: view(found) };
    }
    const endpointsOf = (id: string | null) =>
      this.endpoints.filter(
        (e) =>
          mine.some((a) => a.id === e.developer_application_id) && (!id || e.developer_application_id === id),
      );
    if (path === '/v1/developers/endpoints' && method === 'GET')
      return { status: 200, data: endpointsOf(url.searchParams.get('developer_application_id')) };
    if (path === '/v1/developers/endpoints' && method === 'POST') {
      const fields = endpointFields(body);
      app(fields.developer_application_id);
      const created = this.addEndpoint(app(fields.developer_application_id), fields);
      return { status: 201, data: created };
    }
    if ((match = /^\/v1\/developers\/endpoints\/([^/]+)$/.exec(path)) && method === 'PUT') {
      const found = endpointsOf(null).find((e) => e.id === match![1]);
      if (!found) throw new Refusal(404, 'Developer endpoint not found');
      const fields = endpointFields(body);
      app(fields.developer_application_id);
      Object.assign(found, fields);
      return { status: 200, data: found };
    }
    throw new Refusal(404, 'Not found');
  }
}

const view = ({ key: _key, ...app }: FakeApplication) => app;

function applicationFields(body: Json, creating: boolean): Partial<FakeApplication> {
  if (typeof body.name !== 'string' || body.name.trim() === '')
    throw new Refusal(422, "name: can't be blank");
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string')
    throw new Refusal(422, 'description: is invalid');
  if (body.active !== undefined && typeof body.active !== 'boolean')
    throw new Refusal(422, 'active: is invalid');
  return {
    name: body.name,
    description: (body.description as string | undefined) ?? null,
    active: (body.active as boolean | undefined) ?? creating,
  };
}

function endpointFields(body: Json): Omit<FakeEndpoint, 'id'> {
  if (typeof body.developer_application_id !== 'string')
    throw new Refusal(422, "developer_application_id: can't be blank");
  if (typeof body.url !== 'string' || !body.url.startsWith('https://'))
    throw new Refusal(422, 'url: must be an https URL');
  const types = body.event_types;
  if (!Array.isArray(types) || types.length === 0) throw new Refusal(422, "event_types: can't be blank");
  for (const type of types)
    if (typeof type !== 'string' || !/^[a-z_]+\.[a-z_]+$/.test(type))
      throw new Refusal(422, `event_types: ${String(type)} is not an event`);
  if (typeof body.active !== 'boolean') throw new Refusal(422, 'active: is invalid');
  return {
    developer_application_id: body.developer_application_id,
    url: body.url,
    event_types: types as string[],
    active: body.active,
  };
}
