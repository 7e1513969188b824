// Soak: a steady load for minutes while the resident set (RSS) of every service process is
// sampled; memory that keeps growing after warm-up is a leak.
//
//   npm run bench:soak
//
// Env: BENCH_SOAK_MINUTES (10) at BENCH_SOAK_EVENTS_RATE (200 events/s, three no-op subscribers);
//      BENCH_SOAK_MODE: embedded (default; one process, SQLite) or cluster (1 api + 1 worker on
//      PostgreSQL at TEST_DATABASE_URL or DATABASE_URL and a private redis-server).
// Verdict: flat when RSS grows < 10% from the first minute after warm-up to the last minute.
import { setTimeout as sleep } from 'node:timers/promises';
import { configError, numberFromEnv } from './lib.mjs';
import { postgresUrl, startCluster, startEmbedded, SUBSCRIBERS } from './processes.mjs';
import { signedLoad } from './signed-load.mjs';

const MINUTES = numberFromEnv('BENCH_SOAK_MINUTES', 10, { min: 0.5 });
const RATE = numberFromEnv('BENCH_SOAK_EVENTS_RATE', 200, { min: 1 });
const MODE = process.env.BENCH_SOAK_MODE || 'embedded';
if (!['embedded', 'cluster'].includes(MODE)) configError(`BENCH_SOAK_MODE=${MODE}: use embedded or cluster`);
const SAMPLE_MS = 10_000;
const MAX_GROWTH = 0.1;
const MiB = 1024 * 1024;

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Least-squares slope of y over x. */
function slope(points) {
  const mx = mean(points.map(([x]) => x));
  const my = mean(points.map(([, y]) => y));
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main() {
  let service;
  if (MODE === 'cluster') {
    const pgUrl = await postgresUrl();
    if (pgUrl.skip) {
      console.log(`soak: cluster mode skipped: ${pgUrl.skip}`);
      return;
    }
    service = await startCluster({ apis: 1, workers: 1, databaseUrl: pgUrl.url });
  } else {
    service = await startEmbedded({});
  }
  const names = service.processes.map((p) => p.role);
  let failed = false;
  try {
    console.log(
      `soak bench: ${MODE} (${names.join(' + ')}), ${RATE} events/s for ${MINUTES} min, ${SUBSCRIBERS} no-op subscribers, RSS sampled every ${SAMPLE_MS / 1000} s, node ${process.version}`,
    );
    const samples = []; // [seconds since start, [rss per process]]
    const start = performance.now();
    let acked = 0;
    const sample = () => {
      const t = (performance.now() - start) / 1000;
      samples.push([t, service.processes.map((p) => p.rss())]);
      if (samples.length % 6 === 0) {
        const backlog = acked * SUBSCRIBERS - service.calls();
        console.log(
          `  ${(t / 60).toFixed(1).padStart(5)} min  RSS ${service.processes.map((p, i) => `${names[i]} ${(p.rss() / MiB).toFixed(1)} MiB (heap ${(p.heapUsed() / MiB).toFixed(1)})`).join(', ')}  acknowledged ${acked}, backlog ${backlog} deliveries`,
        );
      }
    };
    const sampler = setInterval(sample, SAMPLE_MS);
    const result = await signedLoad({
      urls: service.apis.map((p) => p.url),
      seconds: Math.round(MINUTES * 60),
      connections: 10,
      rate: RATE,
      onAck: () => acked++,
    });
    clearInterval(sampler);
    sample();
    const stoppedAt = performance.now();
    while (service.calls() < acked * SUBSCRIBERS && performance.now() - stoppedAt < 60_000) await sleep(50);
    const drained = service.calls() >= acked * SUBSCRIBERS;
    console.log(
      `  sent ${result.sent}, acknowledged ${acked}, non-2xx ${result.non2xx}, errors ${result.errors}; ${drained ? `all ${acked * SUBSCRIBERS} deliveries done ${((performance.now() - stoppedAt) / 1000).toFixed(1)} s after the load` : 'NOT drained within 60 s'}`,
    );

    const total = samples.at(-1)[0];
    const warmUp = Math.min(60, total * 0.2);
    const window = Math.min(60, (total - warmUp) / 2);
    const after = samples.filter(([t]) => t >= warmUp);
    for (const [i, name] of names.entries()) {
      const first = mean(after.filter(([t]) => t < warmUp + window).map(([, r]) => r[i]));
      const last = mean(after.filter(([t]) => t > total - window).map(([, r]) => r[i]));
      const perMin = slope(after.map(([t, r]) => [t / 60, r[i]])) / MiB;
      const growth = last / first - 1;
      const flat = growth < MAX_GROWTH;
      failed ||= !flat;
      console.log(
        `${name.padEnd(6)} RSS first minute after ${warmUp.toFixed(0)} s warm-up ${(first / MiB).toFixed(1)} MiB, last minute ${(last / MiB).toFixed(1)} MiB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)}%), slope ${perMin >= 0 ? '+' : ''}${perMin.toFixed(2)} MiB/min: ${flat ? 'FLAT' : 'NOT FLAT'} (growth < ${MAX_GROWTH * 100}%)`,
      );
    }
    failed ||= !drained || result.non2xx > 0 || result.errors > 0;
  } catch (error) {
    console.error(`soak bench failed: ${error.message}`);
    failed = true;
  } finally {
    await service.stop();
  }
  process.exitCode = failed ? 1 : 0;
}

await main();
