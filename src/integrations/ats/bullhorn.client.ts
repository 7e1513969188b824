import { OutboundClient } from '../../platform/outbound/index.js';
import type { BullhornLogin, BullhornSession } from './bullhorn-login.js';

/** A Candidate as search/Candidate returns it, with the fields asked for. */
export interface BullhornCandidate {
  id: number;
  phone?: string | null;
  mobile?: string | null;
  email?: string | null;
  [field: string]: unknown;
}

/** A Note to create: `personReference` ties it to the candidate. */
export interface BullhornNote {
  personReference: { id: number };
  action: string;
  comments: string;
}

interface BullhornRequest {
  method?: string;
  /** Under the session's restUrl: `search/Candidate`, `entity/Note`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  json?: unknown;
  what: string;
  signal?: AbortSignal;
}

/** Bullhorn's answer to an entity PUT/POST. */
interface ChangeAnswer {
  changedEntityId?: number;
  changeType?: string;
}

/**
 * Bullhorn REST calls with the session's BhRestToken. A 401 means the BhRestToken expired:
 * the client logs in again, once, and repeats the call.
 */
export class BullhornClient {
  private readonly http: OutboundClient;

  constructor(
    private readonly login: BullhornLogin,
    timeoutMs: number,
  ) {
    this.http = new OutboundClient({ name: 'Bullhorn', timeoutMs });
  }

  /** Candidates matching a Lucene query (deleted ones left out), best match first. */
  async searchCandidates(
    query: string,
    fields: readonly string[],
    signal?: AbortSignal,
  ): Promise<BullhornCandidate[]> {
    const body = await this.call<{ data?: BullhornCandidate[] }>({
      path: 'search/Candidate',
      query: { query: `(${query}) AND isDeleted:0`, fields: ['id', ...fields].join(','), count: 20 },
      what: 'search candidates',
      signal,
    });
    return body?.data ?? [];
  }

  /** Creates a Note (Bullhorn creates with PUT) and returns its id. */
  async createNote(note: BullhornNote, signal?: AbortSignal): Promise<number> {
    const answer = await this.call<ChangeAnswer>({
      method: 'PUT',
      path: 'entity/Note',
      json: note,
      what: 'create note',
      signal,
    });
    if (typeof answer?.changedEntityId !== 'number') {
      throw new Error('Bullhorn create note answered without a changedEntityId');
    }
    return answer.changedEntityId;
  }

  /** Updates fields of a Candidate (Bullhorn updates with POST). */
  async updateCandidate(id: number, fields: Record<string, unknown>, signal?: AbortSignal): Promise<void> {
    await this.call<ChangeAnswer>({
      method: 'POST',
      path: `entity/Candidate/${id}`,
      json: fields,
      what: 'update candidate',
      signal,
    });
  }

  private async call<T>(request: BullhornRequest): Promise<T | undefined> {
    let session: BullhornSession = await this.login.session();
    for (let attempt = 1; ; attempt++) {
      const response = await this.http.request({
        method: request.method ?? 'GET',
        url: new URL(request.path, session.restUrl).toString(),
        query: request.query,
        json: request.json,
        headers: { BhRestToken: session.token },
        accept: [401],
        what: request.what,
        signal: request.signal,
      });
      if (response.status !== 401) return response.json<T>();
      if (attempt > 1) {
        throw new Error(`Bullhorn ${request.what} answered 401 again right after a new login`);
      }
      session = await this.login.renew(session);
    }
  }
}
