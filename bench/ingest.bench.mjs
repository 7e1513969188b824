// Ingest benchmark: signed Whippy webhooks against hand-written baselines, the NestJS ceiling and
// Switchyard, on SQLite and (when a PostgreSQL URL is given) on PostgreSQL.
//
//   node bench/ingest.bench.mjs                 (npm run bench builds first, then runs this)
//
// Targets, in the order they run:
//   baseline-http                    bare node:http: verify, parse, answer (no framework, no store)
//   nest-ceiling                     the smallest NestJS app: guard verifies, controller answers
//   switchyard                       the service on SQLite
//   baseline-express-sqlite-normal   Express 5 + better-sqlite3, WAL, synchronous=NORMAL (not fsynced)
//   baseline-express-sqlite          the same at synchronous=FULL (Switchyard's durability)
//   baseline-express-pg              Express 5 + pg, synchronous_commit=on    (PostgreSQL only)
//   switchyard-pg                    the service on PostgreSQL                (PostgreSQL only)
//
// Env:
//   BENCH_TARGETS        comma list of the targets above (default all; the PostgreSQL ones only
//                        when TEST_DATABASE_URL or DATABASE_URL is set)
//   TEST_DATABASE_URL    PostgreSQL server for the -pg targets (DATABASE_URL when unset); each
//                        target gets a fresh database, dropped afterwards
//   BENCH_ROUNDS         rounds (default 3): every target runs once per round, forward in odd
//                        rounds and backward in even ones; each figure is the median over the
//                        rounds, and each ratio the median of the rounds' ratios
//   BENCH_DURATION       measured seconds per target and round (default 5)
//   BENCH_WARMUP         warm-up seconds per target and round, not counted (default 2; 0 disables)
//   BENCH_CONNECTIONS    concurrent connections (default 50)
//   BENCH_READY_TIMEOUT  seconds to wait for GET /health/ready (default 30)
//
// Every target is its own child process on 127.0.0.1 with a fresh temp DATA_DIR, started, warmed
// up, measured and stopped in turn.
//
// Rounds, because a shared machine's speed drifts by tens of percent within minutes: measured
// once each, a minute apart, two targets may be compared at two different speeds. In rounds,
// each ratio pairs runs made seconds apart, and the alternating order keeps a drift from
// favouring whichever target runs first. Switchyard runs between the two targets its goals
// name (the NestJS ceiling and the synchronous=NORMAL receiver), so each goal's ratio pairs
// two adjacent runs.
//
// Exit code: 0 when every target ran cleanly (goals missed or not — this is a measurement); 1
// when a target failed to start, died, answered non-2xx, had connection errors or acknowledged
// with an unexpected body; 2 on bad configuration.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import pg from 'pg';
import { configError, freePort, HOST, numberFromEnv, percentile } from './lib.mjs';
import { createPayloadFactory, loadMessage } from './payload.mjs';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH_DIR);
const WEBHOOK_PATH = '/webhooks/whippy';
const READY_PATH = '/health/ready';
const PG_URL = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || undefined;

/** Issue 11's goals for durable ingest, each measured within one run. */
const GOAL_RATIO_VS_CEILING = 0.8;
const GOAL_RATIO_VS_NORMAL = 1.0;
const GOAL_P99_MS = 50;
const STOP_GRACE_MS = 5000;

const SWITCHYARD = {
  script: join(ROOT, 'dist', 'main.js'),
  // No IPC channel for the real service: it must run exactly as it would in production.
  ipc: false,
  env: { APP_ENV: 'production', ADMIN_TOKEN: `bench-admin-${randomUUID()}`, LOG_LEVEL: 'warn' },
  missingHint: 'build it first (npm run build, or npm run bench which builds if needed)',
};
const EXPRESS_SQLITE = join(BENCH_DIR, 'baseline-express-sqlite.mjs');

const TARGETS = {
  'baseline-http': { script: join(BENCH_DIR, 'baseline-http.mjs'), ipc: true },
  'nest-ceiling': { script: join(BENCH_DIR, 'baseline-nest.mjs'), ipc: true },
  // Between the two targets its goals compare it with, so that each ratio pairs adjacent runs.
  switchyard: SWITCHYARD,
  'baseline-express-sqlite-normal': {
    script: EXPRESS_SQLITE,
    ipc: true,
    env: { SQLITE_SYNCHRONOUS: 'NORMAL' },
  },
  'baseline-express-sqlite': { script: EXPRESS_SQLITE, ipc: true, env: { SQLITE_SYNCHRONOUS: 'FULL' } },
  // A fresh PostgreSQL database each, passed as DATABASE_URL.
  'baseline-express-pg': { script: join(BENCH_DIR, 'baseline-express-pg.mjs'), ipc: true, postgres: true },
  'switchyard-pg': { ...SWITCHYARD, postgres: true },
};

// ---------------------------------------------------------------- configuration

const ROUNDS = numberFromEnv('BENCH_ROUNDS', 3, { min: 1, integer: true });
const DURATION_S = numberFromEnv('BENCH_DURATION', 5, { min: 1 });
const WARMUP_S = numberFromEnv('BENCH_WARMUP', 2, { min: 0 });
const CONNECTIONS = numberFromEnv('BENCH_CONNECTIONS', 50, { min: 1, integer: true });
const READY_TIMEOUT_MS = numberFromEnv('BENCH_READY_TIMEOUT', 30, { min: 1 }) * 1000;

const selectedTargets = (() => {
  const raw = process.env.BENCH_TARGETS?.trim();
  if (!raw) return Object.keys(TARGETS).filter((n) => PG_URL || !TARGETS[n].postgres);
  const names = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(n in TARGETS));
  if (unknown.length) {
    configError(`unknown BENCH_TARGETS ${unknown.join(', ')} (known: ${Object.keys(TARGETS).join(', ')})`);
  }
  const needPg = names.filter((n) => TARGETS[n].postgres);
  if (needPg.length && !PG_URL) configError(`${needPg.join(', ')} need TEST_DATABASE_URL or DATABASE_URL`);
  // Always run in the canonical order so runs are comparable.
  return Object.keys(TARGETS).filter((n) => names.includes(n));
})();

// ---------------------------------------------------------------- child processes

const liveChildren = new Set();
const tempDirs = new Set();

// Last-resort cleanup so nothing outlives the benchmark, whatever path it exits by.
process.on('exit', () => {
  for (const child of liveChildren) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    console.error(`\nbench: ${signal}, stopping targets`);
    process.exit(130);
  });
}

/** Keeps the last lines a child wrote, to explain failures, and counts lines written. */
function captureOutput(stream, sink) {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop();
    for (const line of lines) sink.push(line);
  });
  stream.on('end', () => {
    if (partial) sink.push(partial);
  });
}

function startTarget(name, spec, { port, dataDir, signingKey, databaseUrl }) {
  const env = {
    // Minimal, explicit environment: inherited settings (DATABASE_URL, NODE_ENV, ...) must not
    // silently change what is being measured.
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TMPDIR: process.env.TMPDIR ?? tmpdir(),
    ...spec.env,
    PORT: String(port),
    DATA_DIR: dataDir,
    WHIPPY_SIGNING_KEYS: signingKey,
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
  };
  const stdio = ['ignore', 'pipe', 'pipe'];
  if (spec.ipc) stdio.push('ipc');
  const child = spawn(process.execPath, [spec.script], { cwd: ROOT, env, stdio });

  const output = {
    lines: 0,
    tail: [],
    push(line) {
      this.lines++;
      this.tail.push(line);
      if (this.tail.length > 40) this.tail.shift();
    },
  };
  captureOutput(child.stdout, output);
  captureOutput(child.stderr, output);

  liveChildren.add(child);
  const exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      liveChildren.delete(child);
      resolve({ code, signal });
    });
    child.on('error', (err) => {
      liveChildren.delete(child);
      resolve({ code: null, signal: null, error: err });
    });
  });
  return { name, child, output, exited, hasExited: () => !liveChildren.has(child) };
}

async function stopTarget(target) {
  if (target.hasExited()) return { forced: false };
  target.child.kill('SIGTERM');
  const graceful = await Promise.race([
    target.exited.then(() => true),
    sleep(STOP_GRACE_MS).then(() => false),
  ]);
  if (graceful) return { forced: false };
  target.child.kill('SIGKILL');
  await target.exited;
  return { forced: true };
}

function probeReady(port) {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: HOST, port, path: READY_PATH, method: 'GET', agent: false, timeout: 1000 },
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

async function waitReady(target, port) {
  const started = Date.now();
  while (Date.now() - started < READY_TIMEOUT_MS) {
    if (target.hasExited()) {
      const { code, signal, error } = await target.exited;
      throw new Error(`exited before ready (${error ? error.message : `code ${code}, signal ${signal}`})`);
    }
    if (await probeReady(port)) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`GET ${READY_PATH} did not answer 200 within ${READY_TIMEOUT_MS / 1000} s`);
}

// ---------------------------------------------------------------- load

// CPU seconds (user + system) a process has used, from /proc (Linux); null elsewhere. Lets the
// report tell a CPU-bound target (≈100% of one core for Node) from an I/O-bound one.
const CLOCK_TICKS = 100;
function processCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/**
 * One autocannon run. Latency percentiles are computed from our own float-ms samples of 2xx
 * responses (autocannon's histogram rounds to whole milliseconds, too coarse for the baselines).
 */
async function runLoad(port, seconds, nextPayload) {
  const latencies = [];
  const non2xxSamples = new Map(); // status -> first body seen
  const errorSamples = new Set();
  let unexpectedBodies = 0;
  let unexpectedSample = null;

  const instance = autocannon({
    url: `http://${HOST}:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: WEBHOOK_PATH,
        setupRequest(req) {
          const { body, signature } = nextPayload();
          req.body = body;
          req.headers['x-whippy-signature'] = signature;
          return req;
        },
        onResponse(status, body) {
          if (status < 200 || status > 299) {
            if (!non2xxSamples.has(status)) non2xxSamples.set(status, String(body).slice(0, 300));
            return;
          }
          // Each request_id is new, so every 2xx must be a fresh, non-duplicate acknowledgement.
          let ack;
          try {
            ack = JSON.parse(body);
          } catch {
            ack = null;
          }
          if (ack?.received !== true || ack.duplicate !== false || ack.id == null) {
            unexpectedBodies++;
            unexpectedSample ??= String(body).slice(0, 300);
          }
        },
      },
    ],
  });
  instance.on('response', (_client, statusCode, _bytes, responseTime) => {
    if (statusCode >= 200 && statusCode <= 299) latencies.push(responseTime);
  });
  instance.on('reqError', (err) => {
    if (errorSamples.size < 5) errorSamples.add(err?.code ?? err?.message ?? String(err));
  });

  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.average,
    total: result.requests.total,
    ok2xx: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    statusCodes: result.statusCodeStats,
    non2xxSamples,
    errorSamples: [...errorSamples],
    unexpectedBodies,
    unexpectedSample,
  };
}

function problemsOf(run, phase) {
  const problems = [];
  if (run.non2xx > 0) {
    const codes = Object.entries(run.statusCodes)
      .filter(([code]) => code < 200 || code > 299)
      .map(([code, { count }]) => `${code}×${count}`)
      .join(', ');
    problems.push(`${phase}: ${run.non2xx} non-2xx responses (${codes})`);
    for (const [status, body] of run.non2xxSamples) problems.push(`  first ${status} body: ${body}`);
  }
  if (run.errors > 0) {
    problems.push(
      `${phase}: ${run.errors} request errors (${run.timeouts} timeouts) ${run.errorSamples.join(', ')}`,
    );
  }
  if (run.unexpectedBodies > 0) {
    problems.push(`${phase}: ${run.unexpectedBodies} 2xx answers not {received:true,duplicate:false,id}`);
    problems.push(`  first such body: ${run.unexpectedSample}`);
  }
  return problems;
}

// ---------------------------------------------------------------- per target

async function benchTarget(name, nextPayload, signingKey) {
  const spec = TARGETS[name];
  const outcome = { name, measured: null, problems: [], notes: [], failed: false };
  if (!existsSync(spec.script)) {
    log(`▶ ${name}: not started`);
    outcome.failed = true;
    outcome.problems.push(
      `cannot start: ${relative(ROOT, spec.script)} not found${spec.missingHint ? ` — ${spec.missingHint}` : ''}`,
    );
    return outcome;
  }

  const dataDir = mkdtempSync(join(tmpdir(), `switchyard-bench-${name}-`));
  tempDirs.add(dataDir);
  const database = spec.postgres ? await freshDatabase(name) : undefined;
  const port = await freePort();
  log(`▶ ${name}: starting on ${HOST}:${port}${database ? ` (database ${database.name})` : ''}`);
  const target = startTarget(name, spec, { port, dataDir, signingKey, databaseUrl: database?.url });

  try {
    const readyMs = await waitReady(target, port);
    log(`  ready after ${readyMs} ms`);
    if (WARMUP_S > 0) {
      log(`  warm-up ${WARMUP_S} s (not counted)`);
      outcome.problems.push(...problemsOf(await runLoad(port, WARMUP_S, nextPayload), 'warm-up'));
    }
    log(`  measuring ${DURATION_S} s at ${CONNECTIONS} connections`);
    const linesBefore = target.output.lines;
    const cpuBefore = {
      target: processCpuSeconds(target.child.pid),
      bench: process.cpuUsage(),
      at: Date.now(),
    };
    outcome.measured = await runLoad(port, DURATION_S, nextPayload);
    const wallSeconds = (Date.now() - cpuBefore.at) / 1000;
    const targetCpu = processCpuSeconds(target.child.pid);
    const benchCpu = process.cpuUsage(cpuBefore.bench);
    outcome.measured.targetCpuPct =
      targetCpu !== null && cpuBefore.target !== null
        ? ((targetCpu - cpuBefore.target) / wallSeconds) * 100
        : NaN;
    outcome.measured.clientCpuPct = ((benchCpu.user + benchCpu.system) / 1e6 / wallSeconds) * 100;
    outcome.problems.push(...problemsOf(outcome.measured, 'measured'));
    const logLines = target.output.lines - linesBefore;
    if (logLines > 0) outcome.notes.push(`wrote ${logLines} output lines while under load`);
    if (target.hasExited()) {
      const { code, signal } = await target.exited;
      outcome.problems.push(`exited during the run (code ${code}, signal ${signal})`);
    }
  } catch (err) {
    outcome.problems.push(`cannot start: ${err.message}`);
    outcome.measured = null;
  } finally {
    const { forced } = await stopTarget(target);
    if (forced) outcome.notes.push(`did not exit within ${STOP_GRACE_MS / 1000} s of SIGTERM; killed`);
    rmSync(dataDir, { recursive: true, force: true });
    tempDirs.delete(dataDir);
    await database?.drop();
  }

  outcome.failed = outcome.problems.length > 0;
  if (outcome.failed && target.output.tail.length > 0) {
    outcome.problems.push(`  last output:\n${target.output.tail.map((l) => `    | ${l}`).join('\n')}`);
  }
  return outcome;
}

/** A database of its own on the PostgreSQL server, and how to drop it. */
async function freshDatabase(target) {
  const name = `switchyard_bench_${target.replace(/-/g, '_')}_${process.pid}`;
  const admin = async (sql) => {
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined),
  };
}

// ---------------------------------------------------------------- rounds

function median(values) {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * A target's rounds as one outcome: the median of each figure over the rounds, the counts
 * summed; a round that failed fails the target, and its problems say which round.
 */
function combine(name, rounds) {
  const runs = rounds.map((o) => o.measured);
  const label = (i, text) => (rounds.length > 1 ? `round ${i + 1}: ${text}` : text);
  const middle = (key) => median(runs.map((m) => m[key]));
  const total = (key) => runs.reduce((sum, m) => sum + m[key], 0);
  return {
    name,
    rounds,
    measured: runs.every(Boolean)
      ? {
          rps: middle('rps'),
          p50: middle('p50'),
          p99: middle('p99'),
          ok2xx: total('ok2xx'),
          non2xx: total('non2xx'),
          errors: total('errors'),
          targetCpuPct: middle('targetCpuPct'),
          clientCpuPct: middle('clientCpuPct'),
        }
      : null,
    problems: rounds.flatMap((o, i) => o.problems.map((p) => label(i, p))),
    notes: rounds.flatMap((o, i) => o.notes.map((n) => label(i, n))),
    failed: rounds.some((o) => o.failed),
  };
}

// ---------------------------------------------------------------- report

function log(message) {
  console.log(message);
}

const fmt = (value, digits, unit = '') =>
  Number.isFinite(value) ? `${value.toFixed(digits)}${unit}` : 'n/a';

function table(rows) {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((row) => String(row[col]).length)));
  return rows
    .map((row) =>
      row
        .map((cell, col) =>
          col === 0 ? String(cell).padEnd(widths[col]) : String(cell).padStart(widths[col]),
        )
        .join('  '),
    )
    .join('\n');
}

function report(outcomes) {
  log('');
  const rows = [
    [
      'target',
      'req/s',
      'by round',
      'p50 ms',
      'p99 ms',
      '2xx',
      'non-2xx',
      'errors',
      'cpu%',
      'client cpu%',
      'status',
    ],
  ];
  for (const o of outcomes) {
    const m = o.measured;
    rows.push([
      o.name,
      fmt(m?.rps, 1),
      o.rounds.map((r) => fmt(r.measured?.rps, 0)).join(' '),
      fmt(m?.p50, 2),
      fmt(m?.p99, 2),
      m ? m.ok2xx : '-',
      m ? m.non2xx : '-',
      m ? m.errors : '-',
      fmt(m?.targetCpuPct, 0),
      fmt(m?.clientCpuPct, 0),
      o.failed ? 'FAILED' : 'ok',
    ]);
  }
  log(table(rows));
  log(
    `(medians over ${ROUNDS} round(s); p50/p99 over 2xx responses; cpu% = target process, client cpu% = this load generator; 100 = one core)`,
  );

  for (const o of outcomes) {
    for (const note of o.notes) log(`note: ${o.name} ${note}`);
  }
  for (const o of outcomes.filter((x) => x.failed)) {
    log('');
    log(`!!!!!!!! ${o.name} FAILED !!!!!!!!`);
    for (const p of o.problems) log(`!!! ${p}`);
  }

  const outcomeOf = (name) => outcomes.find((x) => x.name === name);
  const measuredOf = (name) => {
    const o = outcomeOf(name);
    return o?.measured && !o.failed ? o.measured : undefined;
  };
  // A baseline that had errors (a FULL receiver timing out on a slow disk) still has a rate; its
  // ratio is shown, flagged. Switchyard's own failures leave its goals n/a.
  // Each round's ratio pairs runs made seconds apart; the ratio shown is their median.
  const roundRatios = (a, b) =>
    measuredOf(a) === undefined
      ? []
      : outcomeOf(a).rounds.map(
          (run, i) => (run.measured?.rps ?? NaN) / (outcomeOf(b)?.rounds[i].measured?.rps ?? NaN),
        );
  const ratio = (a, b) => median(roundRatios(a, b));
  const flag = (b) => (outcomeOf(b)?.failed ? `(${b} FAILED: see above)` : '');
  const verdict = (ok, value) => (Number.isFinite(value) ? (ok ? 'met' : 'NOT MET') : 'n/a');
  const ratios = [
    ['switchyard', 'nest-ceiling'],
    ['switchyard', 'baseline-express-sqlite'],
    ['switchyard', 'baseline-express-sqlite-normal'],
    ['switchyard', 'baseline-http'],
    ['switchyard-pg', 'baseline-express-pg'],
    ['switchyard-pg', 'nest-ceiling'],
  ]
    .map(([a, b]) => [
      `${a} ÷ ${b}`,
      ratio(a, b),
      roundRatios(a, b)
        .map((r) => fmt(r, 2))
        .join(' '),
      flag(b),
    ])
    .filter(([, value]) => Number.isFinite(value));
  if (ratios.length === 0) return;
  log('');
  log(
    table([
      ['ratio (median of the rounds)', '', 'by round', ''],
      ...ratios.map(([name, value, rounds, note]) => [name, fmt(value, 2, '×'), rounds, note]),
    ]),
  );

  const vsCeiling = outcomeOf('nest-ceiling')?.failed ? NaN : ratio('switchyard', 'nest-ceiling');
  const vsNormal = outcomeOf('baseline-express-sqlite-normal')?.failed
    ? NaN
    : ratio('switchyard', 'baseline-express-sqlite-normal');
  const p99 = measuredOf('switchyard')?.p99 ?? NaN;
  const goals = [
    [
      `req/s ≥ ${GOAL_RATIO_VS_CEILING.toFixed(1)}× nest-ceiling`,
      vsCeiling >= GOAL_RATIO_VS_CEILING,
      vsCeiling,
      fmt(vsCeiling, 2, '×'),
    ],
    [
      `req/s ≥ ${GOAL_RATIO_VS_NORMAL.toFixed(1)}× baseline-express-sqlite-normal`,
      vsNormal >= GOAL_RATIO_VS_NORMAL,
      vsNormal,
      fmt(vsNormal, 2, '×'),
    ],
    [`p99 ≤ ${GOAL_P99_MS} ms`, p99 <= GOAL_P99_MS, p99, fmt(p99, 2, ' ms')],
  ];
  const pgP99 = measuredOf('switchyard-pg')?.p99;
  if (pgP99 !== undefined)
    goals.push([`p99 ≤ ${GOAL_P99_MS} ms on PostgreSQL`, pgP99 <= GOAL_P99_MS, pgP99, fmt(pgP99, 2, ' ms')]);
  log('');
  log(
    table([
      ['goal (switchyard)', 'value', ''],
      ...goals.map(([name, ok, value, shown]) => [name, shown, verdict(ok, value)]),
    ]),
  );
}

// ---------------------------------------------------------------- main

async function main() {
  const signingKey = `bench_${randomBytes(24).toString('base64url')}`;
  const { message, source } = loadMessage();
  const nextPayload = createPayloadFactory(signingKey, message);
  const sampleBytes = Buffer.byteLength(nextPayload().body);

  log(
    `ingest bench: ${selectedTargets.join(', ')} | ${ROUNDS} round(s) of ${CONNECTIONS} connections, ${WARMUP_S} s warm-up + ${DURATION_S} s measured each | ` +
      `node ${process.version}, ${availableParallelism()} CPUs | payload ${sampleBytes} B from ${source}`,
  );

  const rounds = new Map(selectedTargets.map((name) => [name, []]));
  for (let round = 1; round <= ROUNDS; round++) {
    const order = round % 2 === 1 ? selectedTargets : [...selectedTargets].reverse();
    if (ROUNDS > 1) log(`round ${round} of ${ROUNDS}: ${order.join(', ')}`);
    for (const [i, name] of order.entries()) {
      // A moment between targets so the previous one's exit (WAL checkpoint, fsync) is not measured.
      if (round > 1 || i > 0) await sleep(1000);
      rounds.get(name).push(await benchTarget(name, nextPayload, signingKey));
    }
  }
  const outcomes = selectedTargets.map((name) => combine(name, rounds.get(name)));
  report(outcomes);
  return outcomes.some((o) => o.failed) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error('bench: unexpected failure', err);
    process.exit(1);
  },
);
