// CPU profile of the service's main thread under ingest load: where each request's time goes.
//
//   npm run bench:profile            (builds first if needed, then runs this)
//
// Starts dist/main.js as the ingest bench does (production, SQLite, LOG_LEVEL=warn) under
// `node --cpu-prof`, sends signed unique message.created webhooks with autocannon, stops it with
// SIGTERM (the profile is written at exit) and prints, from the .cpuprofile: the idle share, the
// busy time per request, and the top inclusive costs by module and by function. The profile stays
// in a temp directory (its path is printed) for Chrome DevTools or speedscope.
//
// Env:
//   PROFILE_DURATION     seconds of measured load (default 10)
//   PROFILE_WARMUP       seconds of load before the profile's window counts (default 2)
//   PROFILE_CONNECTIONS  concurrent connections (default 50)
//   PROFILE_TOP          rows per table (default 15)
//   PROFILE_OUT          write the summary to this file too
//   PROFILE_SCRIPT       profile another server instead of dist/main.js, e.g. bench/baseline-nest.mjs
//                        (the NestJS ceiling), to compare busy time per request
//   PROFILE_NODE_FLAGS   node flags for the profiled server, e.g. "--max-semi-space-size=16"
//   DATABASE_URL         profile the service on PostgreSQL instead (a fresh database is not made:
//                        point it at a scratch one)
//
// On Linux it also prints the CPU time per request of the whole process and of each of its
// threads (from /proc, so GC helper threads and the SQLite writer thread count too): with the
// load generator on the same cores, that total is what bounds throughput.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, HOST, numberFromEnv } from './lib.mjs';
import { createPayloadFactory, loadMessage } from './payload.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const DURATION_S = numberFromEnv('PROFILE_DURATION', 10, { min: 1 });
const WARMUP_S = numberFromEnv('PROFILE_WARMUP', 2, { min: 0 });
const CONNECTIONS = numberFromEnv('PROFILE_CONNECTIONS', 50, { min: 1, integer: true });
const TOP = numberFromEnv('PROFILE_TOP', 15, { min: 1, integer: true });

const lines = [];
const out = (line = '') => {
  lines.push(line);
  console.log(line);
};

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

function load(port, seconds, nextPayload) {
  return autocannon({
    url: `http://${HOST}:${port}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        path: '/webhooks/whippy',
        setupRequest(req) {
          const { body, signature } = nextPayload();
          req.body = body;
          req.headers['x-whippy-signature'] = signature;
          return req;
        },
      },
    ],
  });
}

// ---------------------------------------------------------------- the profile

/** What a frame belongs to: a package, a file of ours, or node's internals. */
function moduleOf(url) {
  if (!url) return '(native / V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return url.replace(/^node:internal\/(?:[^/]+\/)?/, 'node:');
  const ours = /\/dist\/(.+)$/.exec(url);
  return ours ? ours[1] : url;
}

function frameName(frame) {
  const where = moduleOf(frame.url);
  return `${frame.functionName || '(anonymous)'} ${where}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
}

/**
 * Inclusive time per key: each sample's time is added once to every distinct key on its stack
 * (recursion counted once), so a row reads "this share of the time was spent in or under it".
 */
function inclusive(nodes, selfTime, keyOf) {
  const parent = new Map();
  for (const node of nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const totals = new Map();
  for (const [id, time] of selfTime) {
    if (time === 0) continue;
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = keyOf(byId.get(at).callFrame);
      if (key === null || seen.has(key)) continue;
      seen.add(key);
      totals.set(key, (totals.get(key) ?? 0) + time);
    }
  }
  return totals;
}

const SPECIAL = new Set(['(root)', '(program)', '(idle)', '(garbage collector)']);

function summarize(profile, requests) {
  const selfTime = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    selfTime.set(id, (selfTime.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  }
  const total = [...selfTime.values()].reduce((a, b) => a + b, 0);
  const byName = new Map(profile.nodes.map((n) => [n.id, n.callFrame.functionName]));
  let idle = 0;
  let gc = 0;
  let program = 0;
  for (const [id, time] of selfTime) {
    const name = byName.get(id);
    if (name === '(idle)') idle += time;
    else if (name === '(garbage collector)') gc += time;
    else if (name === '(program)') program += time;
  }
  const busy = total - idle;
  const perRequestUs = (time) => (requests > 0 ? time / requests : NaN);
  const pct = (time, of) => `${((time / of) * 100).toFixed(1)}%`;

  out(`window ${(total / 1e6).toFixed(1)} s, ${requests} requests answered 2xx in it`);
  out(
    `idle ${pct(idle, total)} of the main thread; busy ${(busy / 1e6).toFixed(2)} s = ${perRequestUs(busy).toFixed(0)} µs per request`,
  );
  out(`of busy: garbage collector ${pct(gc, busy)}, (program) ${pct(program, busy)}`);

  const print = (title, totals, kind = 'inclusive') => {
    const rows = [...totals]
      .filter(([key]) => !SPECIAL.has(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, TOP);
    out('');
    out(`${title}  (${kind}: % of busy time, µs per request)`);
    const width = Math.max(...rows.map(([key]) => key.length));
    for (const [key, time] of rows) {
      out(
        `  ${key.padEnd(width)}  ${pct(time, busy).padStart(6)}  ${perRequestUs(time).toFixed(1).padStart(7)}`,
      );
    }
  };
  // Self time, with node's and V8's own work counted to the JavaScript that asked for it (an
  // HMAC to the scheme that verifies, a socket write to whoever answered): adds up to the busy
  // time, and says what each part of the stack costs. Inclusive time shows what runs under a
  // frame, which for a middleware includes everything after it in the chain.
  print(
    'top modules, self (node and native work counted to their caller)',
    attributed(profile, selfTime, (f) => moduleOf(f.url)),
    'self',
  );
  print(
    'top functions, self (node and native work counted to their caller)',
    attributed(profile, selfTime, frameName),
    'self',
  );
  print(
    'top modules',
    inclusive(profile.nodes, selfTime, (f) => (SPECIAL.has(f.functionName) ? null : moduleOf(f.url))),
  );
}

/** Whether a frame is the service's or a package's JavaScript (not node's, not native). */
const isUserland = (frame) => frame.url !== '' && !frame.url.startsWith('node:');

/** Each sample's time to the nearest userland frame on its stack (its own frame if none). */
function attributed(profile, selfTime, keyOf) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const totals = new Map();
  for (const [id, time] of selfTime) {
    const own = byId.get(id).callFrame;
    if (SPECIAL.has(own.functionName)) continue;
    let frame = own;
    for (let at = id; at !== undefined; at = parent.get(at)) {
      if (isUserland(byId.get(at).callFrame)) {
        frame = byId.get(at).callFrame;
        break;
      }
    }
    const key = keyOf(frame);
    totals.set(key, (totals.get(key) ?? 0) + time);
  }
  return totals;
}

// ---------------------------------------------------------------- main

async function main() {
  // `node bench/profile.mjs <file.cpuprofile> <requests>`: summarize a profile taken before.
  const [given, requests] = process.argv.slice(2);
  if (given) return summarize(JSON.parse(readFileSync(given, 'utf8')), Number(requests));
  const profileDir = mkdtempSync(join(tmpdir(), 'switchyard-profile-'));
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-profile-data-'));
  const signingKey = `bench_${randomBytes(24).toString('base64url')}`;
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '--cpu-prof',
      `--cpu-prof-dir=${profileDir}`,
      ...(process.env.PROFILE_NODE_FLAGS?.split(/\s+/).filter(Boolean) ?? []),
      resolvePath(ROOT, process.env.PROFILE_SCRIPT || 'dist/main.js'),
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        APP_ENV: 'production',
        ADMIN_TOKEN: `profile-admin-${randomUUID()}`,
        LOG_LEVEL: 'warn',
        PORT: String(port),
        DATA_DIR: dataDir,
        WHIPPY_SIGNING_KEYS: signingKey,
        ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
      },
    },
  );
  const exited = new Promise((resolve) => child.on('exit', () => resolve(Date.now())));
  process.on('exit', () => child.kill('SIGKILL'));

  const started = Date.now();
  while (!(await ready(port))) {
    if (child.exitCode !== null || Date.now() - started > 30_000)
      throw new Error('the service did not start');
    await sleep(100);
  }
  const nextPayload = createPayloadFactory(signingKey, loadMessage().message);
  if (WARMUP_S > 0) await load(port, WARMUP_S, nextPayload);
  // The profile covers the whole process life; the window is cut to the measured load below.
  const windowStart = performance.timeOrigin + performance.now();
  const cpuBefore = threadTimes(child.pid);
  const result = await load(port, DURATION_S, nextPayload);
  const cpuAfter = threadTimes(child.pid);
  const windowEnd = performance.timeOrigin + performance.now();
  child.kill('SIGTERM');
  const exitedAt = await exited;

  // Thread 0 is the main thread (CPU.<date>.<time>.<pid>.<thread>.<seq>.cpuprofile).
  const file = readdirSync(profileDir).find((name) => /^CPU\.\d+\.\d+\.\d+\.0\.\d+\.cpuprofile$/.test(name));
  if (!file) throw new Error(`no main-thread profile in ${profileDir}`);
  const profile = JSON.parse(readFileSync(join(profileDir, file), 'utf8'));
  cutToWindow(profile, windowStart, windowEnd, exitedAt);

  out(
    `service profile: ${CONNECTIONS} connections, ${DURATION_S} s measured, ${result.requests.average.toFixed(0)} req/s, ` +
      `p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}, errors ${result.errors}`,
  );
  threadSummary(child.pid, cpuBefore, cpuAfter, result['2xx']);
  summarize(profile, result['2xx']);
  out('');
  out(`profile: ${join(profileDir, file)}`);
  if (process.env.PROFILE_OUT) writeFileSync(process.env.PROFILE_OUT, `${lines.join('\n')}\n`);
}

/** CPU time (user + system, µs) and name of each thread of a process, by thread id; empty off Linux. */
function threadTimes(pid) {
  const times = new Map();
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return times;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // Fields after the parenthesised name: state is 3rd, utime 14th, stime 15th.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [user, system] = [Number(fields[11]), Number(fields[12])].map(
        (ticks) => (ticks * 1e6) / CLOCK_TICKS,
      );
      times.set(Number(tid), { name, time: user + system, system });
    } catch {
      // the thread ended
    }
  }
  return times;
}

/** Linux's USER_HZ: /proc reports CPU time in these ticks. */
const CLOCK_TICKS = 100;

function threadSummary(pid, before, after, requests) {
  if (after.size === 0 || !(requests > 0)) return;
  const used = [...after]
    .map(([tid, { name, time, system }]) => {
      const was = before.get(tid);
      return [tid, name, time - (was?.time ?? 0), system - (was?.system ?? 0)];
    })
    .filter(([, , time]) => time > 0);
  const total = used.reduce((sum, [, , time]) => sum + time, 0);
  const perRequest = (time) => (time / requests).toFixed(0);
  const main = used.find(([tid]) => tid === pid);
  const others = used.filter(([tid]) => tid !== pid).sort((a, b) => b[2] - a[2]);
  // Each thread as "name total (kernel part)": system time is syscalls, fsync and page copies.
  const thread = ([, name, time, system]) => `${name} ${perRequest(time)} (${perRequest(system)})`;
  out(
    `CPU per request, µs (whole process, /proc; kernel part in brackets): ${perRequest(total)} = ` +
      `main thread ${thread(main)} + other threads ${perRequest(total - main[2])}: ${others.map(thread).join(' + ')}`,
  );
}

/**
 * Keeps the samples taken while the measured load ran. A profile's timestamps are microseconds
 * on a monotonic clock whose origin is not wall time, so the window is placed from the end: the
 * last sample is taken at exit, a few hundred milliseconds after the load stopped at most.
 */
function cutToWindow(profile, windowStartMs, windowEndMs, exitWallMs) {
  const stamps = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) stamps.push((t += delta));
  const toWall = (stamp) => exitWallMs - (profile.endTime - stamp) / 1000;
  const samples = [];
  const deltas = [];
  for (let i = 0; i < stamps.length; i++) {
    const wall = toWall(stamps[i]);
    if (wall < windowStartMs || wall > windowEndMs) continue;
    samples.push(profile.samples[i]);
    deltas.push(profile.timeDeltas[i]);
  }
  profile.samples = samples;
  profile.timeDeltas = deltas;
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error('profile:', error.message);
    process.exit(1);
  },
);
