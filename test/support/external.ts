import pg from 'pg';
import { hasRedisServer, pingRedis } from './redis-server.js';

/**
 * Suites that need PostgreSQL or Redis read TEST_DATABASE_URL / TEST_REDIS_URL. On a plain
 * machine without them the suite is skipped and says so; under CI it fails instead.
 */
export interface External {
  url?: string;
  available: boolean;
  reason?: string;
}

export async function postgres(): Promise<External> {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return unavailable('TEST_DATABASE_URL is not set');
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return { url, available: true };
  } catch (error) {
    return unavailable(`PostgreSQL at ${url} is unreachable: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Redis at TEST_REDIS_URL answers PING, and a redis-server binary is there for the tests
 * that start private ones (to stop and restart them without touching the shared one).
 */
export async function redis(): Promise<External> {
  const url = process.env.TEST_REDIS_URL;
  if (!url) return unavailable('TEST_REDIS_URL is not set', 'Redis');
  const { hostname, port } = new URL(url);
  if (hostname !== '127.0.0.1' && hostname !== 'localhost')
    return unavailable(`TEST_REDIS_URL must be on loopback, got ${hostname}`, 'Redis');
  if (!(await pingRedis(Number(port) || 6379, hostname)))
    return unavailable(`Redis at ${url} is unreachable`, 'Redis');
  if (!hasRedisServer()) return unavailable('no redis-server binary on the PATH', 'Redis');
  return { url, available: true };
}

/** Every one of them available, or the first that is not. */
export function allOf(...externals: External[]): External {
  return externals.find((external) => !external.available) ?? { available: true };
}

function unavailable(reason: string, what = 'PostgreSQL'): External {
  if (!process.env.CI) process.stderr.write(`skipping ${what} suites: ${reason}\n`);
  return { available: false, reason };
}

/**
 * `describe` when the service is there; under CI a failing test naming the reason; elsewhere
 * a skipped suite.
 */
export function describeWith(external: External, name: string, body: () => void): void {
  if (external.available) return describe(name, body);
  if (process.env.CI) {
    return describe(name, () => {
      it('needs its service', () => {
        throw new Error(`${name}: ${external.reason} (CI must provide it)`);
      });
    });
  }
  describe.skip(`${name} (skipped: ${external.reason})`, body);
}

/** A fresh database on the test server, dropped by the returned function. */
export async function freshDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `switchyard_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
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
