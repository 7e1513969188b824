import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fixture } from './events.js';
import { whippySignature } from './sign.js';

/** A free TCP port on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The V8 flags `npm start` gives node (`--max-semi-space-size=16`), read from package.json so
 * that a spawned service runs as started. Without that flag Node 22 and 24 size the young
 * generation from this machine's memory (64 MiB semi-spaces), ~100 MiB more RSS than Node 20.
 */
const START_NODE_FLAGS: string[] = (() => {
  const start: string = JSON.parse(readFileSync('package.json', 'utf8')).scripts.start;
  const words = start.split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/main.js'));
})();

export interface RunningService {
  url: string;
  process: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
}

/**
 * Starts the built service (dist/main.js) as its own process, the way `npm start` does;
 * `args` go on its command line (`['--role', 'worker']`).
 */
export async function spawnService(
  env: Record<string, string>,
  options: { waitReady?: boolean; args?: string[]; readyMs?: number } = {},
): Promise<RunningService> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, [...START_NODE_FLAGS, 'dist/main.js', ...(options.args ?? [])], {
    env: { PATH: process.env.PATH, PORT: String(port), LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const service = { url: `http://127.0.0.1:${port}`, process: child, output: () => output, exited };
  if (options.waitReady === false) return service;
  const deadline = Date.now() + (options.readyMs ?? 20_000);
  let ended = false;
  let last = 'no answer';
  void exited.then(() => (ended = true));
  while (Date.now() < deadline && !ended) {
    try {
      const res = await fetch(`${service.url}/health/ready`);
      if (res.ok) return service;
      last = `${res.status} ${await res.text()}`;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`service did not become ready (last answer: ${last}):\n${output}`);
}

/** A signed message.created with a fresh request_id, POSTed to a running service's whippy source. */
export async function sendSigned(url: string, key: string): Promise<{ status: number; id?: string }> {
  const body = JSON.stringify({
    event: 'message.created',
    request_id: randomUUID(),
    data: fixture('message.created'),
  });
  const res = await fetch(`${url}/webhooks/whippy`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-whippy-signature': whippySignature(key, body).header },
    body,
  });
  return { status: res.status, id: ((await res.json()) as { id?: string }).id };
}
