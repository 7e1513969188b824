import { randomBytes } from 'node:crypto';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A Candidate of the fake: the fields the module reads or writes. */
export interface FakeCandidate {
  id: number;
  firstName: string;
  lastName: string;
  phone?: string | null;
  mobile?: string | null;
  email?: string | null;
  email2?: string | null;
  email3?: string | null;
  smsOptIn?: boolean;
  isDeleted?: boolean;
}

export interface FakeNote {
  id: number;
  personReference: { id: number };
  action: string;
  comments?: string;
  commentingPerson?: { id: number };
}

/** One request as the fake saw it (tokens included: tests check what was sent). */
export interface BullhornRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  /** The refresh token a token request presented, the BhRestToken a REST call carried. */
  credential?: string;
  status: number;
}

type Fault = { status: number; headers?: Record<string, string>; body?: unknown };

const CANDIDATE_FIELDS = new Set([
  'id',
  'firstName',
  'lastName',
  'name',
  'phone',
  'mobile',
  'email',
  'email2',
  'email3',
  'smsOptIn',
  'isDeleted',
  'dateLastModified',
]);
const NOTE_FIELDS = new Set([
  'personReference',
  'action',
  'comments',
  'commentingPerson',
  'isDeleted',
  'minutesSpent',
]);
const CORP = 'corp1a2b';

const token = (prefix: string) => `${prefix}-${randomBytes(12).toString('hex')}`;

/**
 * A local Bullhorn that checks what the real one checks: OAuth refresh tokens that work once
 * and rotate, client credentials, single-use access tokens for the REST login, a BhRestToken
 * on every REST call (expirable mid-run: 401), Lucene-style candidate search by field, Note
 * creation with PUT and its required fields, Candidate updates with POST and known fields.
 */
export class FakeBullhorn {
  readonly requests: BullhornRequest[] = [];
  readonly candidates = new Map<number, FakeCandidate>();
  readonly notes: FakeNote[] = [];
  /** Refresh tokens and whether they were used. */
  private readonly refreshTokens = new Map<string, boolean>();
  private readonly accessTokens = new Set<string>();
  private readonly restTokens = new Set<string>();
  private readonly faults: Fault[] = [];
  private nextId = 1000;
  private readonly server: Server;

  private constructor(
    readonly clientId: string,
    readonly clientSecret: string,
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => this.handle(req, Buffer.concat(chunks).toString('utf8'), res));
    });
  }

  static async start(
    clientId = 'client-7f1e',
    clientSecret = 'bh-client-secret-0123456789',
  ): Promise<FakeBullhorn> {
    const fake = new FakeBullhorn(clientId, clientSecret);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A refresh token Bullhorn issued (as with an authorization code): valid once. */
  issueRefreshToken(): string {
    const value = token('rt');
    this.refreshTokens.set(value, false);
    return value;
  }

  /** The BhRestTokens handed out so far time out: the next REST call answers 401. */
  expireSessions(): void {
    this.restTokens.clear();
  }

  /** The next REST calls (not the login) get these answers instead. */
  failNext(...faults: Fault[]): void {
    this.faults.push(...faults);
  }

  addCandidate(candidate: Omit<FakeCandidate, 'id'>): FakeCandidate {
    const stored = { id: this.nextId++, smsOptIn: true, isDeleted: false, ...candidate };
    this.candidates.set(stored.id, stored);
    return stored;
  }

  /** Token refreshes that succeeded, REST logins that succeeded. */
  count(path: string, status = 200): number {
    return this.requests.filter((r) => r.path === path && r.status === status).length;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, body: string, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.url);
    const query = Object.fromEntries(url.searchParams);
    const record: BullhornRequest = { method: req.method ?? '', path: url.pathname, query, status: 0 };
    this.requests.push(record);
    const send = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
      record.status = status;
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(answer));
    };

    if (url.pathname === '/oauth/token') return this.token(req, body, query, record, send);
    if (url.pathname === '/rest-services/loginInfo') {
      if (req.method !== 'GET') return send(405, { errorMessage: 'Method Not Allowed' });
      if (!query.username) return send(400, { errorMessage: 'username is required' });
      return send(200, { oauthUrl: `${this.url}/oauth`, restUrl: `${this.url}/rest-services` });
    }
    if (url.pathname === '/rest-services/login') {
      if (req.method !== 'GET' && req.method !== 'POST')
        return send(405, { errorMessage: 'Method Not Allowed' });
      if (query.version !== '2.0' && query.version !== '*')
        return send(400, { errorMessage: 'version is required' });
      const access = query.access_token;
      record.credential = access;
      if (!access || !this.accessTokens.delete(access)) {
        return send(401, { errorMessage: 'Invalid or expired OAuth access token.', errorCode: 401 });
      }
      const rest = token('bh');
      this.restTokens.add(rest);
      return send(200, { BhRestToken: rest, restUrl: `${this.url}/rest-services/${CORP}/` });
    }
    const prefix = `/rest-services/${CORP}/`;
    if (!url.pathname.startsWith(prefix))
      return send(404, { errorMessage: `No such resource ${url.pathname}` });

    const rest = (req.headers.bhresttoken as string | undefined) ?? query.BhRestToken;
    record.credential = rest;
    if (!rest || !this.restTokens.has(rest)) {
      return send(401, {
        errorMessage: "Bad 'BhRestToken' or timed-out.",
        errorMessageKey: 'errors.authentication.invalidRestToken',
        errorCode: 401,
      });
    }
    const fault = this.faults.shift();
    if (fault) return send(fault.status, fault.body ?? { errorMessage: 'fault' }, fault.headers);

    const path = url.pathname.slice(prefix.length);
    if (path === 'search/Candidate') {
      if (req.method !== 'GET') return send(405, { errorMessage: 'Method Not Allowed' });
      return this.search(query, send);
    }
    if (req.method !== 'GET' && !/^application\/json/.test(req.headers['content-type'] ?? '')) {
      return send(415, { errorMessage: 'Content-Type must be application/json' });
    }
    const data = parse(body);
    if (data === undefined) return send(400, { errorMessage: 'Malformed JSON' });
    if (path === 'entity/Note') {
      if (req.method !== 'PUT') return send(405, { errorMessage: 'Use PUT to create an entity' });
      return this.createNote(data, send);
    }
    const candidate = /^entity\/Candidate\/(\d+)$/.exec(path);
    if (candidate) {
      // In Bullhorn, POST updates an entity; PUT creates one (and takes no id).
      if (req.method !== 'POST') return send(405, { errorMessage: 'Use POST to update an entity' });
      return this.updateCandidate(Number(candidate[1]), data, send);
    }
    return send(404, { errorMessage: `No such resource ${path}` });
  }

  private token(
    req: IncomingMessage,
    body: string,
    query: Record<string, string>,
    record: BullhornRequest,
    send: (status: number, answer: unknown) => void,
  ): void {
    if (req.method !== 'POST') return send(405, { error: 'method_not_allowed' });
    // Bullhorn's token endpoint reads its parameters from the query or a form body.
    const form = /^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')
      ? Object.fromEntries(new URLSearchParams(body))
      : {};
    const params = { ...query, ...form };
    record.credential = params.refresh_token;
    if (params.client_id !== this.clientId || params.client_secret !== this.clientSecret) {
      return send(401, { error: 'invalid_client', error_description: 'Bad client credentials' });
    }
    if (params.grant_type !== 'refresh_token') {
      return send(400, { error: 'unsupported_grant_type', error_description: 'Unsupported grant type' });
    }
    const refresh = params.refresh_token;
    if (!refresh || this.refreshTokens.get(refresh) !== false) {
      return send(400, { error: 'invalid_grant', error_description: 'Invalid refresh token' });
    }
    this.refreshTokens.set(refresh, true);
    const access = token('at');
    this.accessTokens.add(access);
    send(200, {
      access_token: access,
      token_type: 'Bearer',
      expires_in: 600,
      refresh_token: this.issueRefreshToken(),
    });
  }

  private search(query: Record<string, string>, send: (status: number, answer: unknown) => void): void {
    if (!query.query) return send(400, { errorMessage: 'query parameter is required' });
    if (!query.fields) return send(400, { errorMessage: 'fields parameter is required' });
    const fields = query.fields.split(',').map((f) => f.trim());
    const unknown = fields.find((f) => !CANDIDATE_FIELDS.has(f));
    if (unknown) return send(400, { errorMessage: `Invalid field '${unknown}' for entity Candidate` });
    const terms = [...query.query.matchAll(/(\w+):"((?:[^"\\]|\\.)*)"/g)].map(([, field, value]) => ({
      field,
      value: value.replace(/\\(.)/g, '$1'),
    }));
    const badTerm = terms.find((t) => !CANDIDATE_FIELDS.has(t.field));
    if (badTerm) return send(400, { errorMessage: `Invalid field '${badTerm.field}' in query` });
    const liveOnly = /\bAND isDeleted:0\b/.test(query.query);
    const matches = [...this.candidates.values()].filter(
      (c) =>
        (!liveOnly || !c.isDeleted) &&
        terms.some((t) => {
          const stored = c[t.field as keyof FakeCandidate];
          if (typeof stored !== 'string') return false;
          return t.field.startsWith('email')
            ? stored.toLowerCase() === t.value.toLowerCase()
            : stored === t.value;
        }),
    );
    const count = Math.min(matches.length, Number(query.count ?? 20));
    send(200, {
      total: matches.length,
      start: 0,
      count,
      data: matches.slice(0, count).map((c) => ({
        ...Object.fromEntries(fields.map((f) => [f, c[f as keyof FakeCandidate] ?? null])),
        _score: 1,
      })),
    });
  }

  private createNote(data: Record<string, unknown>, send: (status: number, answer: unknown) => void): void {
    const unknown = Object.keys(data).find((f) => !NOTE_FIELDS.has(f));
    if (unknown) return send(400, { errorMessage: `Invalid field '${unknown}' for entity Note` });
    const person = data.personReference as { id?: unknown } | undefined;
    if (typeof person?.id !== 'number' || !this.candidates.has(person.id)) {
      return send(400, {
        errorMessage: 'error persisting an entity of type: Note',
        errors: [{ propertyName: 'personReference', severity: 'ERROR', type: 'MISSING_OR_INVALID' }],
      });
    }
    if (typeof data.action !== 'string' || !data.action) {
      return send(400, {
        errorMessage: 'error persisting an entity of type: Note',
        errors: [{ propertyName: 'action', severity: 'ERROR', type: 'MISSING_REQUIRED_PROPERTY' }],
      });
    }
    const note = { ...(data as unknown as FakeNote), id: this.nextId++ };
    this.notes.push(note);
    send(200, { changedEntityType: 'Note', changedEntityId: note.id, changeType: 'INSERT', data });
  }

  private updateCandidate(
    id: number,
    data: Record<string, unknown>,
    send: (status: number, answer: unknown) => void,
  ): void {
    const candidate = this.candidates.get(id);
    if (!candidate)
      return send(404, {
        errorMessage: `Cannot find entity of type 'Candidate' with id ${id}`,
        errorCode: 404,
      });
    const unknown = Object.keys(data).find((f) => !CANDIDATE_FIELDS.has(f) || f === 'id');
    if (unknown) return send(400, { errorMessage: `Invalid field '${unknown}' for entity Candidate` });
    Object.assign(candidate, data);
    send(200, { changedEntityType: 'Candidate', changedEntityId: id, changeType: 'UPDATE', data });
  }
}

function parse(body: string): Record<string, unknown> | undefined {
  if (!body) return {};
  try {
    const value = JSON.parse(body) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
