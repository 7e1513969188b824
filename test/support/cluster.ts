import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { configDirWith, tempDir, WHIPPY_KEY } from './app.js';
import { fixture } from './events.js';
import { RunningService, spawnService } from './service.js';
import { whippySignature } from './sign.js';

export const RELAY_SECRET = `whsec_${Buffer.from('scale-out relay secret, 32 bytes').toString('base64')}`;

/** One relay target, ordered by contact, with short timeouts and backoff for tests. */
export const relayConfig = (url: string) => `
delivery:
  maxAttempts: 50
  timeoutMs: 5000
  backoff: { initialMs: 200, maxMs: 2000, jitter: false }
relay:
  targets:
    sink:
      url: ${url}
      secret: ${RELAY_SECRET}
      events: [message.created]
      orderBy: data.contact_id
      timeoutMs: 5000
`;

/**
 * Service processes in roles on one PostgreSQL database and one Redis, each started from the
 * built service (`node dist/main.js --role <role>`), the way a deployment runs them.
 */
export class Cluster {
  readonly running = new Set<RunningService>();
  private readonly configDir: string;

  constructor(
    private readonly env: { DATABASE_URL: string; REDIS_URL?: string; ADMIN_TOKEN?: string },
    config: string,
  ) {
    this.configDir = configDirWith(config);
  }

  async start(role: 'api' | 'worker' | 'all', env: Record<string, string> = {}): Promise<RunningService> {
    const service = await spawnService(
      {
        APP_ENV: 'test',
        CONFIG_DIR: this.configDir,
        DATA_DIR: tempDir(),
        WHIPPY_SIGNING_KEYS: WHIPPY_KEY,
        LOG_LEVEL: 'warn',
        ...this.env,
        ...env,
      },
      // Several processes start at once on a busy machine: give them time.
      { args: ['--role', role], readyMs: 60_000 },
    );
    this.running.add(service);
    void service.exited.then(() => this.running.delete(service));
    return service;
  }

  /** kill -9, as a crash. */
  async kill(service: RunningService): Promise<void> {
    service.process.kill('SIGKILL');
    await service.exited;
  }

  /** SIGTERM to every process; each must exit 0 within its shutdown bound. */
  async stop(): Promise<(number | null)[]> {
    const all = [...this.running];
    for (const service of all) service.process.kill('SIGTERM');
    return Promise.all(all.map((service) => service.exited));
  }
}

/** A signed message.created for a contact, with a fresh request_id. */
export function signedEvent(contactId: string): { body: string; requestId: string } {
  const requestId = randomUUID();
  const body = JSON.stringify({
    event: 'message.created',
    request_id: requestId,
    data: { ...fixture('message.created'), id: randomUUID(), contact_id: contactId },
  });
  return { body, requestId };
}

export interface Answer {
  status: number;
  id?: string;
  duplicate?: boolean;
  retryAfter?: string | null;
}

/** POSTs a body, signed now, to a service's whippy source; a refused connection is status 0. */
export async function post(url: string, body: string): Promise<Answer> {
  try {
    const res = await fetch(`${url}/webhooks/whippy`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-whippy-signature': whippySignature(WHIPPY_KEY, body).header,
      },
      body,
      signal: AbortSignal.timeout(15_000),
    });
    const answer = (await res.json().catch(() => ({}))) as { id?: string; duplicate?: boolean };
    return {
      status: res.status,
      id: answer.id,
      duplicate: answer.duplicate,
      retryAfter: res.headers.get('retry-after'),
    };
  } catch {
    return { status: 0 };
  }
}

/** What the store holds, read with a client of the test's own. */
export class StoreProbe {
  private constructor(private readonly client: pg.Client) {}

  static async open(url: string): Promise<StoreProbe> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    return new StoreProbe(client);
  }

  async count(sql: string, parameters: unknown[] = []): Promise<number> {
    const { rows } = await this.client.query(sql, parameters);
    return Number(rows[0].count);
  }

  async rows<T>(sql: string, parameters: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, parameters)).rows as T[];
  }

  close(): Promise<void> {
    return this.client.end();
  }
}

/** Runs `task` for each item with at most `limit` at once. */
export async function eachLimited<T>(
  items: T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await task(items[next++]);
    }),
  );
}

/** Polls `check` every 250 ms until it holds; fails naming `what` after `ms`. */
export async function waitFor(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
