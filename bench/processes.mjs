// Service processes for the scale-out and soak benchmarks: the probe service (the real service
// with three no-op subscribers, bench/probe-service.mjs) in a role, a fresh PostgreSQL database
// and a private redis-server, each removed again by its stop()/drop().
import { fork, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort, HOST } from './lib.mjs';

export const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
export const KEY = `bench_${randomBytes(18).toString('base64url')}`;
export const SUBSCRIBERS = 3;

/**
 * One probe service process in `role`. `onHits(hits)` gets bench.a's [event id, handler time]
 * pairs; calls() is its handler calls so far, rss() and heapUsed()
 * its last reported resident set and V8 heap in use.
 */
export async function startProbe(role, env = {}, onHits = () => {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-'));
  const configDir = mkdtempSync(join(tmpdir(), 'switchyard-bench-config-'));
  copyFileSync(join(ROOT, 'config/default.yaml'), join(configDir, 'default.yaml'));
  writeFileSync(join(configDir, 'bench.yaml'), 'log:\n  level: warn\n');
  let output = '';
  let calls = 0;
  let rss = 0;
  let heapUsed = 0;
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
      ROLE: role,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.on('message', (report) => {
    calls = report.calls;
    rss = report.rss;
    heapUsed = report.heapUsed;
    if (report.hits.length > 0) onHits(report.hits);
  });
  child.stdout.on('data', (c) => (output = (output + c).slice(-4000)));
  child.stderr.on('data', (c) => (output = (output + c).slice(-4000)));
  const cleanUp = () => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`http://${HOST}:${port}/health/ready`)).ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || i > 600) {
      child.kill('SIGKILL');
      await exited;
      cleanUp();
      throw new Error(`${role} process did not start:\n${output}`);
    }
    await sleep(100);
  }
  return {
    role,
    port,
    url: `http://${HOST}:${port}`,
    calls: () => calls,
    rss: () => rss,
    heapUsed: () => heapUsed,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
      cleanUp();
    },
  };
}

/** The PostgreSQL URL from TEST_DATABASE_URL or DATABASE_URL, or why there is none to use. */
export async function postgresUrl() {
  const url = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL;
  if (!url) return { skip: 'TEST_DATABASE_URL / DATABASE_URL not set' };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { url };
  } catch (error) {
    return { skip: `PostgreSQL unreachable at ${new URL(url).host} (${error.message})` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** A database created for one run on the server of `url`; drop() removes it (and its connections). */
export async function freshDatabase(url) {
  const name = `switchyard_bench_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const dbUrl = new URL(url);
  dbUrl.pathname = `/${name}`;
  return {
    url: dbUrl.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * A private, empty redis-server on a free loopback port (nothing on disk), so that the bench
 * never touches a shared Redis: the queue's key prefix is fixed. Null when none is installed.
 */
export async function startRedis() {
  if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) return null;
  const port = await freePort();
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
  };
  for (let i = 0; ; i++) {
    const { status } = spawnSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'ignore' });
    if (status === 0) break;
    if (child.exitCode !== null || i > 100) {
      await stop();
      throw new Error(`redis-server did not start on port ${port}`);
    }
    await sleep(100);
  }
  return { url: `redis://${HOST}:${port}`, stop };
}

/**
 * `apis` api and `workers` worker processes on one fresh database and one private Redis.
 * The first process migrates the database alone; the rest start together.
 */
export async function startCluster({ apis, workers, databaseUrl, onHits }) {
  const redis = await startRedis();
  if (!redis) throw new Error('redis-server is not installed');
  const db = await freshDatabase(databaseUrl);
  const processes = [];
  const env = { DATABASE_URL: db.url, REDIS_URL: redis.url };
  const stop = async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis.stop();
    await db.drop();
  };
  try {
    const roles = [...Array(apis).fill('api'), ...Array(workers).fill('worker')];
    processes.push(await startProbe(roles[0], env, onHits));
    const rest = await Promise.allSettled(roles.slice(1).map((role) => startProbe(role, env, onHits)));
    for (const r of rest) if (r.status === 'fulfilled') processes.push(r.value);
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    processes,
    apis: processes.filter((p) => p.role === 'api'),
    calls: () => processes.reduce((sum, p) => sum + p.calls(), 0),
    stop,
  };
}

/** The embedded mode: one process, role all, SQLite in its data directory. */
export async function startEmbedded({ onHits }) {
  const service = await startProbe('all', {}, onHits);
  return { processes: [service], apis: [service], calls: () => service.calls(), stop: () => service.stop() };
}
