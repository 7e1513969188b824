// Delivery benchmark: from Whippy's request to a subscriber's handler, through the real
// service (dist/) with three no-op subscribers (bench/probe-service.mjs).
//
//   node bench/delivery.bench.mjs        (npm run bench runs it after the ingest benchmark)
//
// Env: BENCH_LATENCY_SECONDS (20) at BENCH_LATENCY_RATE (500/s);
//      BENCH_SOAK_SECONDS (60) at BENCH_SOAK_RATE (1000/s) with three no-op subscribers.
// Goals (issue 3): request → handler p50 ≤ 10 ms and p99 ≤ 100 ms at 500 events/s; at 1,000
// events/s for 60 s the backlog stays bounded and is empty within 5 s of the load stopping.
import { fork } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort, HOST, numberFromEnv, percentile } from './lib.mjs';
import { signatureHeader } from './whippy-signature.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const LATENCY_SECONDS = numberFromEnv('BENCH_LATENCY_SECONDS', 20, { min: 1 });
const LATENCY_RATE = numberFromEnv('BENCH_LATENCY_RATE', 500, { min: 1 });
const SOAK_SECONDS = numberFromEnv('BENCH_SOAK_SECONDS', 60, { min: 1 });
const SOAK_RATE = numberFromEnv('BENCH_SOAK_RATE', 1000, { min: 1 });
const SUBSCRIBERS = 3;
const KEY = `bench_${randomBytes(18).toString('base64url')}`;
const MESSAGE = JSON.parse(readFileSync(join(ROOT, 'fixtures/whippy/message.created.json'), 'utf8'));

/** Starts the service with its probe subscribers; counts handler calls and times bench.a's. */
async function startService() {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const configDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-config-'));
  copyFileSync(join(ROOT, 'config/default.yaml'), join(configDir, 'default.yaml'));
  writeFileSync(join(configDir, 'bench.yaml'), 'log:\n  level: warn\n');
  let output = '';
  const sentAt = new Map();
  const latencies = [];
  let calls = 0;
  const child = fork(join(ROOT, 'bench/probe-service.mjs'), [], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      APP_ENV: 'bench',
      CONFIG_DIR: configDir,
      DATA_DIR: dataDir,
      PORT: String(port),
      WHIPPY_SIGNING_KEYS: KEY,
      ADMIN_TOKEN: 'bench',
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  child.on('message', (report) => {
    calls = report.calls;
    for (const [marker, at] of report.hits) {
      const t0 = sentAt.get(marker);
      if (t0 === undefined) continue;
      latencies.push(at - t0);
      sentAt.delete(marker);
    }
  });
  child.stdout.on('data', (c) => (output = (output + c).slice(-4000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-4000)));
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://${HOST}:${port}/health/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || i > 300) throw new Error(`service did not start:\n${output}`);
    await sleep(100);
  }
  return {
    port,
    sentAt,
    latencies,
    calls: () => calls,
    output: () => output,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(configDir, { recursive: true, force: true });
    },
  };
}

/** Sends `rate` unique signed message.created events per second for `seconds`. */
function load(service, rate, seconds, onAck) {
  const prefix = JSON.stringify({ event: 'message.created', request_id: '@' }).slice(0, -4);
  return autocannon({
    url: `http://${HOST}:${service.port}/webhooks/whippy`,
    connections: Math.max(10, Math.ceil(rate / 50)),
    overallRate: rate,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        setupRequest(request) {
          const marker = randomUUID();
          const body = `${prefix}"${randomUUID()}","data":${JSON.stringify({ ...MESSAGE, id: marker })}}`;
          service.sentAt.set(marker, performance.timeOrigin + performance.now());
          return {
            ...request,
            body,
            headers: { 'content-type': 'application/json', 'x-whippy-signature': signatureHeader(KEY, body) },
          };
        },
      },
    ],
  }).on('response', (_client, status) => status === 200 && onAck());
}

const ms = (value) => `${value.toFixed(2)} ms`;

async function main() {
  const service = await startService();
  let failed;
  try {
    console.log(`delivery bench: three no-op subscribers, node ${process.version}`);
    console.log(`▶ latency: ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s`);
    let acked = 0;
    const latency = await load(service, LATENCY_RATE, LATENCY_SECONDS, () => acked++);
    await sleep(500);
    const sorted = [...service.latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    console.log(
      `  sent ${latency.requests.total}, acknowledged ${acked}, non-2xx ${latency.non2xx}, handler calls timed ${sorted.length}`,
    );
    // autocannon paces a rate by sending each connection's share of a second back to back, then
    // waiting for the next second: the events come in bursts with 10 requests in flight, and
    // the acknowledgement is most of the time to the handler.
    console.log(
      `  request → 200      p50 ${latency.latency.p50} ms  p99 ${latency.latency.p99} ms  (whole ms, as autocannon counts)`,
    );
    console.log(
      `  request → handler  p50 ${ms(p50)}  p99 ${ms(p99)}  max ${ms(sorted[sorted.length - 1] ?? NaN)}`,
    );

    console.log(`▶ soak: ${SOAK_RATE} events/s for ${SOAK_SECONDS} s, three no-op subscribers`);
    const base = service.calls();
    acked = 0;
    let maxBacklog = 0;
    const sampler = setInterval(() => {
      maxBacklog = Math.max(maxBacklog, acked * SUBSCRIBERS - (service.calls() - base));
    }, 250);
    const soak = await load(service, SOAK_RATE, SOAK_SECONDS, () => acked++);
    clearInterval(sampler);
    const stoppedAt = performance.now();
    const expected = acked * SUBSCRIBERS;
    const atStop = expected - (service.calls() - base);
    while (service.calls() - base < expected && performance.now() - stoppedAt < 60_000) await sleep(20);
    const drainMs = performance.now() - stoppedAt;
    const drained = acked > 0 && service.calls() - base >= expected;
    console.log(
      `  sent ${soak.requests.total} (${Math.round(soak.requests.average)}/s), acknowledged ${acked}, non-2xx ${soak.non2xx}`,
    );
    console.log(
      `  backlog: max ${maxBacklog} deliveries (sampled every 250 ms; reports lag ≤ 100 ms), ${atStop} when the load stopped; ${drained ? `empty ${ms(drainMs)} after` : 'NOT drained within 60 s'}`,
    );

    const goals = [
      [`p50 ≤ 10 ms at ${LATENCY_RATE}/s`, p50 <= 10, ms(p50)],
      [`p99 ≤ 100 ms at ${LATENCY_RATE}/s`, p99 <= 100, ms(p99)],
      [
        `backlog empty ≤ 5 s after ${SOAK_SECONDS} s at ${SOAK_RATE}/s`,
        drained && drainMs <= 5000,
        drained ? ms(drainMs) : 'not drained',
      ],
    ];
    for (const [goal, ok, figure] of goals)
      console.log(`goal  ${goal.padEnd(40)}: ${ok ? 'PASS' : 'MISS'} (${figure})`);
    failed = latency.non2xx > 0 || soak.non2xx > 0 || latency.errors > 0 || soak.errors > 0;
    if (failed) console.log('!! non-2xx answers or errors during the load: see above');
  } catch (error) {
    console.error(`delivery bench failed: ${error.message}\n${service.output()}`);
    failed = true;
  } finally {
    await service.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
