import type { WhippyApiConfig } from '../../config/app-config.js';
import { WHIPPY_API_PATHS } from './whippy-api.paths.js';

/** A developer application: one API key can have many; its webhooks are signed with that key. */
export interface WhippyApplication {
  id: string;
  name: string;
  description: string | null;
  active: boolean;
}

/** Where an application's webhooks go, and which event types it subscribes to. */
export interface WhippyEndpoint {
  id: string;
  applicationId: string;
  url: string;
  eventTypes: string[];
  active: boolean;
}

export interface ApplicationInput {
  name: string;
  description: string;
  active: boolean;
}

export interface EndpointInput {
  applicationId: string;
  url: string;
  eventTypes: string[];
  active: boolean;
}

/** Whippy answered with an error, or could not be reached. The message is Whippy's own; never the key. */
export class WhippyApiError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or undefined when no answer came (timeout, network). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WhippyApiError';
  }
}

type Json = Record<string, unknown>;

/**
 * A typed client for the part of Whippy's REST API that Switchyard uses. Every request sends
 * `X-WHIPPY-KEY` and has a timeout; an error carries Whippy's message and status.
 */
export class WhippyApiClient {
  private readonly baseUrl: string;

  constructor(private readonly options: Pick<WhippyApiConfig, 'baseUrl' | 'timeoutMs'> & { key: string }) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
  }

  async listApplications(): Promise<WhippyApplication[]> {
    return list(await this.request('GET', WHIPPY_API_PATHS.applications)).map(toApplication);
  }

  async createApplication(input: ApplicationInput): Promise<WhippyApplication> {
    return toApplication(one(await this.request('POST', WHIPPY_API_PATHS.applications, input)));
  }

  async updateApplication(id: string, input: ApplicationInput): Promise<WhippyApplication> {
    return toApplication(one(await this.request('PUT', WHIPPY_API_PATHS.application(id), input)));
  }

  /** The endpoints of one application (filtered here too, whatever the API does with the query). */
  async listEndpoints(applicationId: string): Promise<WhippyEndpoint[]> {
    const path = `${WHIPPY_API_PATHS.endpoints}?developer_application_id=${encodeURIComponent(applicationId)}`;
    return list(await this.request('GET', path))
      .map(toEndpoint)
      .filter((endpoint) => endpoint.applicationId === applicationId);
  }

  async createEndpoint(input: EndpointInput): Promise<WhippyEndpoint> {
    return toEndpoint(one(await this.request('POST', WHIPPY_API_PATHS.endpoints, endpointBody(input))));
  }

  async updateEndpoint(id: string, input: EndpointInput): Promise<WhippyEndpoint> {
    return toEndpoint(one(await this.request('PUT', WHIPPY_API_PATHS.endpoint(id), endpointBody(input))));
  }

  private async request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<unknown> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          'x-whippy-key': this.options.key,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new WhippyApiError(`${method} ${url} failed: ${networkReason(error, this.options.timeoutMs)}`);
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (!response.ok) {
      throw new WhippyApiError(
        `${method} ${url} answered ${response.status}: ${whippyMessage(parsed) ?? (text.trim().slice(0, 300) || response.statusText)}`,
        response.status,
      );
    }
    if (parsed === undefined && text)
      throw new WhippyApiError(`${method} ${url} answered with a body that is not JSON`);
    return parsed;
  }
}

/** Whippy's answers are `{data: ...}`; a bare value is accepted too. */
function unwrap(body: unknown): unknown {
  return body && typeof body === 'object' && 'data' in body ? (body as Json).data : body;
}

function list(body: unknown): Json[] {
  const value = unwrap(body);
  if (!Array.isArray(value))
    throw new WhippyApiError('Whippy answered a list request without a list in "data"');
  return value.filter((item): item is Json => Boolean(item) && typeof item === 'object');
}

function one(body: unknown): Json {
  const value = unwrap(body);
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw new WhippyApiError('Whippy answered without the object in "data"');
  return value as Json;
}

const text = (value: unknown): string => (value === undefined || value === null ? '' : String(value));

function toApplication(raw: Json): WhippyApplication {
  return {
    id: text(raw.id),
    name: text(raw.name),
    description: raw.description === undefined || raw.description === null ? null : String(raw.description),
    active: raw.active !== false,
  };
}

function toEndpoint(raw: Json): WhippyEndpoint {
  return {
    id: text(raw.id),
    applicationId: text(raw.developer_application_id),
    url: text(raw.url),
    eventTypes: Array.isArray(raw.event_types) ? raw.event_types.map(String) : [],
    active: raw.active !== false,
  };
}

const endpointBody = (input: EndpointInput) => ({
  developer_application_id: input.applicationId,
  url: input.url,
  event_types: input.eventTypes,
  active: input.active,
});

/** `{error}`, `{message}`, or `{errors}` (a list or a field map), as Whippy's APIs answer. */
function whippyMessage(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { error, message, errors } = body as Json;
  if (typeof error === 'string' && error) return error;
  if (error && typeof error === 'object' && typeof (error as Json).message === 'string')
    return (error as Json).message as string;
  if (typeof message === 'string' && message) return message;
  if (Array.isArray(errors))
    return errors.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('; ');
  if (errors && typeof errors === 'object')
    return Object.entries(errors)
      .map(([field, problem]) => `${field}: ${Array.isArray(problem) ? problem.join(', ') : String(problem)}`)
      .join('; ');
  return undefined;
}

function networkReason(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
