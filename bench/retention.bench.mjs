// Retention benchmark: ingest p99 while the store prunes a large backlog of expired rows, against
// the same load with retention off.
//
//   node bench/retention.bench.mjs           (npm run bench builds first, then runs this)
//
// Env:
//   BENCH_RETENTION_EVENTS  expired events preloaded, each with a succeeded delivery and two
//                           attempts (default 30000)
//   BENCH_DURATION          measured seconds per phase (default 10)
//   BENCH_RATE              requests per second offered (default 500)
//   BENCH_CONNECTIONS       concurrent connections (default 20)
//
// The store is built once (migrated by the service's own code, then filled directly), copied for
// each phase, and the built service (dist/main.js) started on the copy: once with retention off,
// once pruning every few seconds. Exit code 0 when both phases ran cleanly (goal met or not),
// 1 when a phase failed (non-2xx, errors, service died, pruning did not run), 2 on bad settings.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { SQLite } from '../dist/platform/store/sqlite-driver.js';
import { monotonicFactory } from 'ulid';
import { freePort, HOST, numberFromEnv, percentile } from './lib.mjs';
import { signatureHeader } from './whippy-signature.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const MAIN = join(ROOT, 'dist', 'main.js');
const GOAL_P99_MS = 50;
const EVENTS = numberFromEnv('BENCH_RETENTION_EVENTS', 30_000, { min: 1, integer: true });
const DURATION_S = numberFromEnv('BENCH_DURATION', 10, { min: 1 });
const RATE = numberFromEnv('BENCH_RATE', 500, { min: 1 });
const CONNECTIONS = numberFromEnv('BENCH_CONNECTIONS', 20, { min: 1, integer: true });
const ulid = monotonicFactory();
const KEY = `bench-key-${randomUUID()}`;

const work = mkdtempSync(join(tmpdir(), 'switchyard-bench-retention-'));
const children = new Set();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

/** The store as the service makes it, then EVENTS expired events, deliveries and attempts. */
async function preload(file) {
  const { openStore } = await import(join(ROOT, 'dist', 'platform', 'store', 'database.js'));
  const { migrateToLatest } = await import(join(ROOT, 'dist', 'platform', 'store', 'migrations', 'index.js'));
  const store = openStore({ dataDir: dirname(file) });
  await migrateToLatest(store.db, store.dialect);
  await store.db.destroy();
  const db = new SQLite(file);
  const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
  const body = Buffer.from(
    JSON.stringify({ event: 'message.created', request_id: 'x', data: { body: 'b'.repeat(900) } }),
  );
  const event = db.prepare(
    `INSERT INTO events (id, source, request_id, type, status, raw_body, headers, verification, errors, received_at, updated_at)
     VALUES (?, 'whippy', ?, 'message.created', 'routed', ?, '{}', '{}', NULL, ?, ?)`,
  );
  const delivery = db.prepare(
    `INSERT INTO deliveries (id, event_id, subscriber_id, status, attempts, created_at, updated_at, finished_at, dedupe_key)
     VALUES (?, ?, 'bench.sink', 'succeeded', 2, ?, ?, ?, ?)`,
  );
  const attempt = db.prepare(
    `INSERT INTO delivery_attempts (id, delivery_id, attempt, started_at, finished_at, duration_ms, outcome)
     VALUES (?, ?, ?, ?, ?, 5, ?)`,
  );
  db.transaction(() => {
    for (let i = 0; i < EVENTS; i++) {
      const id = ulid();
      const deliveryId = ulid();
      event.run(id, `old-${i}`, body, old, old);
      delivery.run(deliveryId, id, old, old, old, `${id}:bench.sink`);
      attempt.run(ulid(), deliveryId, 1, old, old, 'failed');
      attempt.run(ulid(), deliveryId, 2, old, old, 'succeeded');
    }
  })();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
}

function configDir(name, retention) {
  const path = mkdtempSync(join(work, `config-${name}-`));
  copyFileSync(join(ROOT, 'config', 'default.yaml'), join(path, 'default.yaml'));
  writeFileSync(join(path, 'production.yaml'), `retention:\n${retention}`);
  return path;
}

function ready(port) {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: HOST, port, path: '/health/ready', agent: false, timeout: 1000 },
      (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

async function phase(name, source, retention) {
  const dataDir = mkdtempSync(join(work, `data-${name}-`));
  copyFileSync(source, join(dataDir, 'switchyard.db'));
  const port = await freePort();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      APP_ENV: 'production',
      CONFIG_DIR: configDir(name, retention),
      ADMIN_TOKEN: `bench-admin-${randomUUID()}`,
      LOG_LEVEL: 'info',
      PORT: String(port),
      DATA_DIR: dataDir,
      WHIPPY_SIGNING_KEYS: KEY,
    },
  });
  children.add(child);
  const runs = [];
  let tail = '';
  const read = (chunk) => {
    const text = tail + chunk;
    const lines = text.split('\n');
    tail = lines.pop();
    for (const line of lines) {
      const match =
        /pruned (\d+) event\(s\), (\d+) delivery\(ies\), (\d+) attempt\(s\); reclaimed (\d+) page/.exec(line);
      if (match)
        runs.push({
          at: Date.now(),
          events: +match[1],
          deliveries: +match[2],
          attempts: +match[3],
          pages: +match[4],
        });
    }
  };
  child.stdout.setEncoding('utf8').on('data', read);
  child.stderr.setEncoding('utf8').on('data', read);
  const problems = [];
  try {
    const deadline = Date.now() + 60_000;
    while (!(await ready(port))) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`${name}: the service did not get ready`);
      await sleep(100);
    }
    const latencies = [];
    const started = Date.now();
    const instance = autocannon({
      url: `http://${HOST}:${port}`,
      connections: CONNECTIONS,
      overallRate: RATE,
      duration: DURATION_S,
      headers: { 'content-type': 'application/json' },
      requests: [
        {
          method: 'POST',
          path: '/webhooks/whippy',
          setupRequest(req) {
            const body = JSON.stringify({
              event: 'message.created',
              request_id: randomUUID(),
              data: { body: 'hello' },
            });
            req.body = body;
            req.headers['x-whippy-signature'] = signatureHeader(KEY, body);
            return req;
          },
        },
      ],
    });
    instance.on('response', (_c, status, _b, ms) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
    const result = await instance;
    const ended = Date.now();
    if (result.non2xx) problems.push(`${result.non2xx} non-2xx answers`);
    if (result.errors) problems.push(`${result.errors} request errors`);
    latencies.sort((a, b) => a - b);
    // A run that outlasts the load still pruned under it: wait for its line.
    const waitUntil = Date.now() + 120_000;
    while (runs.length === 0 && name !== 'off' && Date.now() < waitUntil && child.exitCode === null)
      await sleep(200);
    const first = runs[0];
    return {
      name,
      rps: result.requests.average,
      p50: percentile(latencies, 50),
      p99: percentile(latencies, 99),
      pruned: first?.events ?? 0,
      pruning: first
        ? `first run: ${first.events} events, ${first.deliveries} deliveries, ${first.attempts} attempts, ${first.pages} pages; ended ${((first.at - started) / 1000).toFixed(1)} s after the load started (load: ${((ended - started) / 1000).toFixed(1)} s)`
        : 'none',
      problems,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    children.delete(child);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (!existsSync(MAIN)) {
  console.error('bench: dist/main.js not found; run npm run build (npm run bench builds first)');
  process.exit(1);
}
const source = join(work, 'seed', 'switchyard.db');
console.log(
  `▶ retention: preloading ${EVENTS} events expired 40 days ago (a succeeded delivery and 2 attempts each)`,
);
const t0 = Date.now();
await preload(source);
console.log(`  preloaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
console.log(
  `▶ ingest at ${RATE} req/s for ${DURATION_S} s, ${CONNECTIONS} connections: retention off, then pruning`,
);
const off = await phase('off', source, '  enabled: false\n');
// The first run starts intervalMinutes (3 s) after the start: inside the measured window.
const on = await phase('pruning', source, '  enabled: true\n  intervalMinutes: 0.05\n');

const fmt = (v, d) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
console.log('');
console.log('phase     req/s   p50 ms  p99 ms  pruned during the load');
for (const r of [off, on])
  console.log(
    `${r.name.padEnd(9)} ${fmt(r.rps, 0).padStart(5)}  ${fmt(r.p50, 1).padStart(6)}  ${fmt(r.p99, 1).padStart(6)}  ${r.pruning}`,
  );
const met = on.p99 <= GOAL_P99_MS;
console.log(
  `goal  p99 ≤ ${GOAL_P99_MS} ms while pruning : ${met ? 'met' : 'MISSED'} (${fmt(on.p99, 2)} ms; ${fmt(off.p99, 2)} ms without)`,
);
const problems = [...off.problems.map((p) => `off: ${p}`), ...on.problems.map((p) => `pruning: ${p}`)];
if (on.pruned === 0) problems.push('pruning: no pruning run ended during the load');
for (const problem of problems) console.log(`problem: ${problem}`);
process.exit(problems.length ? 1 : 0);
