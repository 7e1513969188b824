import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, IncomingHttpHeaders, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A company's service receiving relayed events, checking each request the way a Standard
 * Webhooks receiver does (its own HMAC code, not the service's): a request that fails a check
 * is answered 400/401 and kept with the reasons.
 */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  rawBody: string;
  body: unknown;
  /** Empty when the request passed every check. */
  problems: string[];
  at: number;
}

/** A scripted answer; `hang` never answers (until the receiver closes). */
export type Answer = { status: number; headers?: Record<string, string>; body?: string } | 'hang';

const TOLERANCE_SECONDS = 300;

export class RelayReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly script: Answer[] = [];
  private fallback: Answer = { status: 200, body: 'ok' };

  private readonly server: Server;

  private constructor(private readonly secret: string) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () =>
        this.receive(req.method ?? '', req.url ?? '', req.headers, Buffer.concat(chunks), res),
      );
    });
  }

  /** Listens on a free loopback port. */
  static async start(secret: string): Promise<RelayReceiver> {
    const receiver = new RelayReceiver(secret);
    await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  url(path = '/hooks/whippy'): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}${path}`;
  }

  /** The next requests get these answers, in order; after them, the fallback (200). */
  answer(...answers: Answer[]): this {
    this.script.push(...answers);
    return this;
  }

  /** What every request gets once the script is used up. */
  always(answer: Answer): this {
    this.fallback = answer;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private receive(
    method: string,
    path: string,
    headers: IncomingHttpHeaders,
    raw: Buffer,
    res: ServerResponse,
  ): void {
    const rawBody = raw.toString('utf8');
    const problems = [...this.verify(headers, rawBody)];
    let body: unknown;
    if (!String(headers['content-type']).startsWith('application/json')) {
      problems.push(`content-type is ${headers['content-type']}`);
    }
    try {
      body = JSON.parse(rawBody);
      problems.push(...shapeProblems(body));
    } catch {
      problems.push('body is not JSON');
    }
    if (method !== 'POST') problems.push(`method is ${method}`);
    this.requests.push({ method, path, headers, rawBody, body, problems, at: Date.now() });

    if (problems.length) {
      const status = problems.some((p) => p.startsWith('signature')) ? 401 : 400;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(problems.join('; '));
      return;
    }
    const answer = this.script.shift() ?? this.fallback;
    if (answer === 'hang') return;
    res.writeHead(answer.status, { 'content-type': 'text/plain', ...answer.headers }).end(answer.body ?? '');
  }

  private *verify(headers: IncomingHttpHeaders, body: string): Generator<string> {
    const id = headers['webhook-id'];
    const timestamp = headers['webhook-timestamp'];
    const signatures = headers['webhook-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') {
      yield 'signature headers missing';
      return;
    }
    const t = Number(timestamp);
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - t) > TOLERANCE_SECONDS) {
      yield `signature timestamp ${timestamp} outside tolerance`;
      return;
    }
    const key = Buffer.from(this.secret.slice('whsec_'.length), 'base64');
    const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
    const matches = signatures.split(' ').some((entry) => {
      const [version, value] = entry.split(',', 2);
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
    if (!matches) yield 'signature does not match';
  }
}

function shapeProblems(body: unknown): string[] {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['body is not an object'];
  const fields = body as Record<string, unknown>;
  const problems: string[] = [];
  const keys = Object.keys(fields).sort().join(',');
  if (keys !== 'data,id,receivedAt,source,type') problems.push(`body keys are ${keys}`);
  for (const key of ['id', 'type', 'source', 'receivedAt']) {
    if (typeof fields[key] !== 'string' || fields[key] === '') problems.push(`${key} is not text`);
  }
  if (typeof fields.receivedAt === 'string' && Number.isNaN(Date.parse(fields.receivedAt))) {
    problems.push('receivedAt is not a time');
  }
  if (fields.data === null || typeof fields.data !== 'object') problems.push('data is not an object');
  return problems;
}

/** A port nothing listens on: a server's, just closed. */
export async function closedPortUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks/whippy`;
}
