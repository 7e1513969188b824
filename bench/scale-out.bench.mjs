// Scale-out benchmark: events per second from Whippy's request to a subscriber's handler for
// the embedded service (one process, SQLite) and for api + worker processes on PostgreSQL and
// Redis (1 + 1 and 2 + 2), each with three no-op subscribers (bench/probe-service.mjs).
//
//   node bench/scale-out.bench.mjs        (npm run bench runs it after the others)
//
// Each mode is loaded as fast as its APIs answer for BENCH_SCALE_SECONDS (15), with
// BENCH_SCALE_CONNECTIONS (32) per API, then given up to BENCH_SCALE_DRAIN_SECONDS (120) to
// run every handler. The cluster modes use a fresh database on the PostgreSQL server at
// TEST_DATABASE_URL or DATABASE_URL (created and dropped here) and a private redis-server on a
// free port; they are skipped, saying why, when either is missing. All processes and the load
// generator share this machine's cores, so the ratios say how the roles split the work here,
// not what more machines would give.
import { setTimeout as sleep } from 'node:timers/promises';
import { numberFromEnv, percentile } from './lib.mjs';
import { postgresUrl, startCluster, startEmbedded, startRedis, SUBSCRIBERS } from './processes.mjs';
import { signedLoad } from './signed-load.mjs';

const SECONDS = numberFromEnv('BENCH_SCALE_SECONDS', 15, { min: 1 });
const CONNECTIONS = numberFromEnv('BENCH_SCALE_CONNECTIONS', 32, { min: 1, integer: true });
const DRAIN_SECONDS = numberFromEnv('BENCH_SCALE_DRAIN_SECONDS', 120, { min: 1 });

/** Loads a started mode, waits for its handlers; the figures of one table row. */
async function measure(start) {
  const sentAt = new Map();
  const latencies = [];
  const onHits = (hits) => {
    for (const [id, at] of hits) {
      const t0 = sentAt.get(id);
      if (t0 === undefined) continue;
      latencies.push(at - t0);
      sentAt.delete(id);
    }
  };
  const service = await start(onHits);
  try {
    let acked = 0;
    const t0 = performance.now();
    const result = await signedLoad({
      urls: service.apis.map((p) => p.url),
      seconds: SECONDS,
      connections: CONNECTIONS,
      onSend: (id) => sentAt.set(id, performance.timeOrigin + performance.now()),
      onAck: () => acked++,
    });
    const loadEnd = performance.now();
    const expected = acked * SUBSCRIBERS;
    while (service.calls() < expected && performance.now() - loadEnd < DRAIN_SECONDS * 1000) await sleep(20);
    const doneAt = performance.now();
    await sleep(150); // the last latency reports
    const sorted = latencies.sort((a, b) => a - b);
    return {
      sent: result.sent,
      acked,
      failed: result.non2xx + result.errors,
      ackRate: acked / ((loadEnd - t0) / 1000),
      delivered: Math.min(acked, Math.floor(service.calls() / SUBSCRIBERS)),
      drained: service.calls() >= expected,
      deliverRate: Math.min(acked, service.calls() / SUBSCRIBERS) / ((doneAt - t0) / 1000),
      drainSeconds: (doneAt - loadEnd) / 1000,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  } finally {
    await service.stop();
  }
}

const num = (n) => Math.round(n).toLocaleString('en-US');
const ms = (n) => (Number.isNaN(n) ? '-' : n < 1000 ? `${n.toFixed(1)} ms` : `${(n / 1000).toFixed(2)} s`);

async function main() {
  console.log(
    `scale-out bench: ${SUBSCRIBERS} no-op subscribers, ${SECONDS} s as fast as the APIs answer (${CONNECTIONS} connections per API), node ${process.version}`,
  );
  const modes = [
    ['embedded (1 process, SQLite)', (onHits) => startEmbedded({ onHits })],
    ['1 api + 1 worker (PG, Redis)', { apis: 1, workers: 1 }],
    ['2 api + 2 worker (PG, Redis)', { apis: 2, workers: 2 }],
  ];
  let clusterSkip;
  const pg = await postgresUrl();
  if (pg.skip) clusterSkip = pg.skip;
  else {
    const redis = await startRedis().catch((error) => ({ error }));
    if (!redis)
      clusterSkip = 'redis-server is not installed (the bench runs a private one, never a shared Redis)';
    else if (redis.error) clusterSkip = redis.error.message;
    else await redis.stop();
  }

  const rows = [];
  let failed = false;
  for (const [name, how] of modes) {
    if (typeof how !== 'function' && clusterSkip) {
      console.log(`▶ ${name}: skipped: ${clusterSkip}`);
      rows.push({ name, skipped: true });
      continue;
    }
    console.log(`▶ ${name}`);
    try {
      const start =
        typeof how === 'function' ? how : (onHits) => startCluster({ ...how, databaseUrl: pg.url, onHits });
      const row = await measure(start);
      console.log(
        `  sent ${num(row.sent)}, acknowledged ${num(row.acked)}, failed ${num(row.failed)}; ` +
          (row.drained
            ? `every handler ran ${row.drainSeconds.toFixed(1)} s after the load stopped`
            : `NOT drained: ${num(row.delivered)} of ${num(row.acked)} events delivered ${DRAIN_SECONDS} s after the load`),
      );
      failed ||= !row.drained || row.failed > 0;
      rows.push({ name, ...row });
    } catch (error) {
      console.log(`  failed: ${error.message.split('\n').slice(0, 6).join('\n  ')}`);
      rows.push({ name, skipped: true });
      failed = true;
    }
  }

  const base = rows[0].skipped ? undefined : rows[0].deliverRate;
  const header = [
    'mode',
    'acknowledged/s',
    'delivered/s',
    'p50 req→handler',
    'p99 req→handler',
    'vs embedded',
  ];
  const table = rows.map((r) =>
    r.skipped
      ? [r.name, 'skipped', '', '', '', '']
      : [
          r.name,
          num(r.ackRate),
          num(r.deliverRate) + (r.drained ? '' : '*'),
          ms(r.p50),
          ms(r.p99),
          base ? `${(r.deliverRate / base).toFixed(2)}×` : '-',
        ],
  );
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i].length)));
  const line = (cells) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  for (const r of table) console.log(line(r).trimEnd());
  console.log(
    'delivered/s: events whose three handlers all ran, from the first request to the last handler; ' +
      'latency: request sent → first subscriber’s handler, queueing included' +
      (rows.some((r) => !r.skipped && !r.drained) ? '; * not drained' : ''),
  );
  process.exitCode = failed ? 1 : 0;
}

await main();
