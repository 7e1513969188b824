import { randomUUID } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local HubSpot CRM v3 that checks requests the way the real API does: the private-app
 * bearer token (401), paths and methods (404/405), JSON bodies, property names each object
 * knows (400 PROPERTY_DOESNT_EXIST), required engagement properties (400 when `hs_timestamp`
 * is missing, as HubSpot answers), channel types, the association to an existing contact
 * with HubSpot's type ids, and a unique contact email (409 "Contact already exists. Existing
 * ID: <id>"). It can be taken down (503) and rate-limit (429 with Retry-After).
 */

export type ObjectType = 'contacts' | 'communications' | 'emails' | 'notes' | 'calls';

export interface FakeObject {
  id: string;
  type: ObjectType;
  properties: Record<string, string>;
  /** Contact ids this engagement is associated with. */
  contacts: string[];
  createdAt: string;
  updatedAt: string;
  /** A contact HubSpot's search does not index yet (the real index lags a few seconds). */
  unindexed?: boolean;
  archived?: boolean;
}

export interface FakeRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: unknown;
  status: number;
}

/** Properties each object accepts (a subset of HubSpot's defaults, enough for Switchyard). */
const PROPERTIES: Record<ObjectType, string[]> = {
  contacts: ['email', 'firstname', 'lastname', 'phone', 'mobilephone', 'company', 'lifecyclestage'],
  communications: [
    'hs_communication_channel_type',
    'hs_communication_logged_from',
    'hs_communication_body',
    'hs_timestamp',
    'hubspot_owner_id',
  ],
  emails: [
    'hs_timestamp',
    'hs_email_direction',
    'hs_email_status',
    'hs_email_subject',
    'hs_email_text',
    'hs_email_html',
    'hubspot_owner_id',
  ],
  notes: ['hs_note_body', 'hs_timestamp', 'hubspot_owner_id'],
  calls: [
    'hs_timestamp',
    'hs_call_title',
    'hs_call_body',
    'hs_call_duration',
    'hs_call_direction',
    'hs_call_status',
    'hs_call_recording_url',
    'hs_call_from_number',
    'hs_call_to_number',
    'hubspot_owner_id',
  ],
};

/** HubSpot-defined association type ids from each engagement to a contact. */
const CONTACT_ASSOCIATION: Record<Exclude<ObjectType, 'contacts'>, number> = {
  communications: 81,
  emails: 198,
  notes: 202,
  calls: 194,
};

const REQUIRED: Record<ObjectType, string[]> = {
  contacts: [],
  communications: ['hs_timestamp', 'hs_communication_channel_type', 'hs_communication_logged_from'],
  emails: ['hs_timestamp', 'hs_email_direction'],
  notes: ['hs_timestamp'],
  calls: ['hs_timestamp'],
};

const ENUMS: Record<string, string[]> = {
  hs_communication_channel_type: ['SMS', 'WHATS_APP', 'LINKEDIN_MESSAGE'],
  hs_communication_logged_from: ['CRM'],
  hs_email_direction: ['EMAIL', 'INCOMING_EMAIL', 'FORWARDED_EMAIL'],
  hs_email_status: ['BOUNCED', 'FAILED', 'SCHEDULED', 'SENDING', 'SENT'],
  hs_call_direction: ['INBOUND', 'OUTBOUND'],
  hs_call_status: [
    'BUSY',
    'CALLING_CRM_USER',
    'CANCELED',
    'COMPLETED',
    'CONNECTING',
    'FAILED',
    'IN_PROGRESS',
    'NO_ANSWER',
    'QUEUED',
    'RINGING',
  ],
};

class HubspotError {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>,
  ) {}
}

const error = (status: number, category: string, message: string, extra: Record<string, unknown> = {}) =>
  new HubspotError(status, { status: 'error', message, correlationId: randomUUID(), category, ...extra });

export class FakeHubspot {
  readonly requests: FakeRequest[] = [];
  private readonly objects = new Map<string, FakeObject>();
  private nextId = 1001;
  private downFor: number | 'always' = 0;
  private revoked = false;
  private rateLimited: { count: number; retryAfter: string }[] = [];
  private readonly server: Server;

  private constructor(readonly token: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () =>
        this.receive(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks), res),
      );
    });
  }

  static async start(token: string): Promise<FakeHubspot> {
    const fake = new FakeHubspot(token);
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Every request answers 503 until `up()`. */
  down(): void {
    this.downFor = 'always';
  }

  up(): void {
    this.downFor = 0;
  }

  /**
   * The token stops working, and the 401 quotes the header it got, as a careless API might:
   * what the service logs must still not show it.
   */
  revokeToken(): void {
    this.revoked = true;
  }

  /** The next `count` requests answer 429 with this Retry-After. */
  rateLimit(count: number, retryAfter: string): void {
    this.rateLimited.push({ count, retryAfter });
  }

  /** A contact that exists before the test, as HubSpot already had it. */
  seedContact(properties: Record<string, string>, options: { unindexed?: boolean } = {}): FakeObject {
    return this.insert('contacts', properties, [], options.unindexed);
  }

  all(type: ObjectType): FakeObject[] {
    return [...this.objects.values()].filter((o) => o.type === type && !o.archived);
  }

  get(id: string): FakeObject | undefined {
    return this.objects.get(id);
  }

  /** Requests that wrote (POST create, PATCH, DELETE) to objects of `type`. */
  writes(type: ObjectType, method?: string): FakeRequest[] {
    return this.requests.filter(
      (r) =>
        r.path.startsWith(`/crm/v3/objects/${type}`) &&
        !r.path.endsWith('/search') &&
        r.method !== 'GET' &&
        (!method || r.method === method),
    );
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
    res: ServerResponse,
  ) {
    const path = url.split('?')[0];
    let body: unknown;
    const answer = (status: number, payload?: unknown, extraHeaders: Record<string, string> = {}) => {
      this.requests.push({ method, path, headers, body, status });
      res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', ...extraHeaders });
      res.end(payload === undefined ? '' : JSON.stringify(payload));
    };
    if (this.downFor === 'always') return answer(503, { status: 'error', message: 'Service Unavailable' });
    const limit = this.rateLimited[0];
    if (limit) {
      if (--limit.count <= 0) this.rateLimited.shift();
      return answer(
        429,
        {
          status: 'error',
          message: 'You have reached your secondly limit.',
          errorType: 'RATE_LIMIT',
          policyName: 'SECONDLY',
        },
        { 'retry-after': limit.retryAfter },
      );
    }
    try {
      if (this.revoked) {
        throw error(401, 'INVALID_AUTHENTICATION', `The token in "${headers.authorization}" was revoked.`);
      }
      if (headers.authorization !== `Bearer ${this.token}`) {
        throw error(
          401,
          'INVALID_AUTHENTICATION',
          'Authentication credentials not found. This API supports OAuth 2.0 authentication.',
        );
      }
      if (raw.length > 0) {
        if (!String(headers['content-type']).startsWith('application/json')) {
          throw error(415, 'UNSUPPORTED_MEDIA_TYPE', 'content-type must be application/json');
        }
        try {
          body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw error(400, 'VALIDATION_ERROR', 'Invalid input JSON on line 1');
        }
      }
      const result = this.route(method, path, body);
      answer(result.status, result.body);
    } catch (caught) {
      if (!(caught instanceof HubspotError)) throw caught;
      answer(caught.status, caught.body);
    }
  }

  private route(method: string, path: string, body: unknown): { status: number; body?: unknown } {
    const match = /^\/crm\/v3\/objects\/(contacts|communications|emails|notes|calls)(?:\/([^/]+))?$/.exec(
      path,
    );
    if (!match) throw error(404, 'OBJECT_NOT_FOUND', `no route ${method} ${path}`);
    const type = match[1] as ObjectType;
    const id = match[2];
    if (id === 'search') {
      if (method !== 'POST' || type !== 'contacts') throw error(405, 'METHOD_NOT_ALLOWED', 'search is POST');
      return { status: 200, body: this.search(body) };
    }
    if (!id) {
      if (method !== 'POST') throw error(405, 'METHOD_NOT_ALLOWED', `${method} not allowed`);
      return { status: 201, body: view(this.create(type, body)) };
    }
    const existing = this.objects.get(decodeURIComponent(id));
    if (!existing || existing.type !== type || existing.archived) {
      throw error(404, 'OBJECT_NOT_FOUND', 'resource not found');
    }
    if (method === 'GET') return { status: 200, body: view(existing) };
    if (method === 'DELETE') {
      existing.archived = true;
      return { status: 204 };
    }
    if (method !== 'PATCH') throw error(405, 'METHOD_NOT_ALLOWED', `${method} not allowed`);
    const properties = this.properties(type, body, false);
    if (type === 'contacts' && properties.email) this.checkUniqueEmail(properties.email, existing.id);
    Object.assign(existing.properties, properties);
    existing.updatedAt = new Date().toISOString();
    return { status: 200, body: view(existing) };
  }

  private create(type: ObjectType, body: unknown): FakeObject {
    const properties = this.properties(type, body, true);
    if (type === 'contacts') {
      if (properties.email) this.checkUniqueEmail(properties.email);
      return this.insert('contacts', properties, []);
    }
    const associations = (body as { associations?: unknown }).associations;
    const contacts: string[] = [];
    if (associations !== undefined) {
      if (!Array.isArray(associations)) throw error(400, 'VALIDATION_ERROR', 'associations must be a list');
      for (const association of associations as { to?: { id?: unknown }; types?: unknown }[]) {
        const to = String(association?.to?.id ?? '');
        const contact = this.objects.get(to);
        if (!contact || contact.type !== 'contacts' || contact.archived) {
          throw error(400, 'VALIDATION_ERROR', `One or more associations are invalid: no contact ${to}`);
        }
        const types = association.types as { associationCategory?: string; associationTypeId?: number }[];
        const wanted = CONTACT_ASSOCIATION[type as Exclude<ObjectType, 'contacts'>];
        if (
          !Array.isArray(types) ||
          !types.some((t) => t.associationCategory === 'HUBSPOT_DEFINED' && t.associationTypeId === wanted)
        ) {
          throw error(
            400,
            'VALIDATION_ERROR',
            `association type of ${type} to contacts must be HUBSPOT_DEFINED ${wanted}`,
          );
        }
        contacts.push(to);
      }
    }
    return this.insert(type, properties, contacts);
  }

  /** Checks `{properties: {...}}` the way HubSpot does: known names, string values, enums, required. */
  private properties(type: ObjectType, body: unknown, creating: boolean): Record<string, string> {
    const properties = (body as { properties?: unknown } | undefined)?.properties;
    if (!properties || typeof properties !== 'object' || Array.isArray(properties)) {
      throw error(400, 'VALIDATION_ERROR', 'Invalid input JSON: properties must be an object');
    }
    const problems: { isValid: false; message: string; error: string; name: string }[] = [];
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(properties)) {
      if (!PROPERTIES[type].includes(name)) {
        problems.push({
          isValid: false,
          message: `Property "${name}" does not exist`,
          error: 'PROPERTY_DOESNT_EXIST',
          name,
        });
        continue;
      }
      if (
        typeof value !== 'string' &&
        typeof value !== 'number' &&
        typeof value !== 'boolean' &&
        value !== null
      ) {
        problems.push({ isValid: false, message: `${name} must be a string`, error: 'INVALID_STRING', name });
        continue;
      }
      const text = value === null ? '' : String(value);
      if (ENUMS[name] && !ENUMS[name].includes(text)) {
        problems.push({
          isValid: false,
          message: `${text} was not one of the allowed options`,
          error: 'INVALID_OPTION',
          name,
        });
      }
      if (name === 'hs_timestamp' && Number.isNaN(Date.parse(text)) && !/^\d+$/.test(text)) {
        problems.push({
          isValid: false,
          message: `${text} is not a valid timestamp`,
          error: 'INVALID_DATE',
          name,
        });
      }
      out[name] = text;
    }
    if (creating) {
      for (const name of REQUIRED[type]) {
        if (!out[name])
          problems.push({ isValid: false, message: `${name} is required`, error: 'REQUIRED_PROPERTY', name });
      }
    }
    if (problems.length) {
      throw error(400, 'VALIDATION_ERROR', `Property values were not valid: ${JSON.stringify(problems)}`);
    }
    return out;
  }

  private checkUniqueEmail(email: string, self?: string): void {
    const taken = this.all('contacts').find(
      (c) => c.id !== self && c.properties.email?.toLowerCase() === email.toLowerCase(),
    );
    if (taken) throw error(409, 'CONFLICT', `Contact already exists. Existing ID: ${taken.id}`);
  }

  /** filterGroups (OR) of filters (AND), EQ only, over indexed contacts. */
  private search(body: unknown): { total: number; results: unknown[] } {
    const groups = (
      body as { filterGroups?: { filters?: { propertyName: string; operator: string; value: string }[] }[] }
    )?.filterGroups;
    if (!Array.isArray(groups) || groups.length === 0 || groups.length > 5) {
      throw error(400, 'VALIDATION_ERROR', 'filterGroups: between 1 and 5 groups');
    }
    for (const group of groups) {
      for (const filter of group.filters ?? []) {
        if (filter.operator !== 'EQ')
          throw error(400, 'VALIDATION_ERROR', `operator ${filter.operator} not supported here`);
        if (!PROPERTIES.contacts.includes(filter.propertyName)) {
          throw error(
            400,
            'VALIDATION_ERROR',
            `There was a problem with the request: property ${filter.propertyName} does not exist`,
          );
        }
      }
    }
    const results = this.all('contacts').filter(
      (contact) =>
        !contact.unindexed &&
        groups.some((group) =>
          (group.filters ?? []).every(
            (f) => (contact.properties[f.propertyName] ?? '').toLowerCase() === String(f.value).toLowerCase(),
          ),
        ),
    );
    const limit = Number((body as { limit?: number }).limit ?? 10);
    return { total: results.length, results: results.slice(0, limit).map(view) };
  }

  private insert(
    type: ObjectType,
    properties: Record<string, string>,
    contacts: string[],
    unindexed?: boolean,
  ): FakeObject {
    const now = new Date().toISOString();
    const object: FakeObject = {
      id: String(this.nextId++),
      type,
      properties: { ...properties },
      contacts,
      createdAt: now,
      updatedAt: now,
      unindexed,
    };
    this.objects.set(object.id, object);
    return object;
  }
}

const view = (object: FakeObject) => ({
  id: object.id,
  properties: object.properties,
  createdAt: object.createdAt,
  updatedAt: object.updatedAt,
  archived: false,
});
