import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

/**
 * The SQLite driver for the Node.js line this process runs on. better-sqlite3 12 runs on
 * Node 20 but aborts the process on Node 24 when a garbage collection frees a statement
 * (`RemoveEnvironmentCleanupHook`); 13 fixes that (Node-API, prebuilt) but needs Node 22 and
 * crashes on 20. Both are installed, 13 as `better-sqlite3-node22`.
 */
const require = createRequire(import.meta.url);
const major = Number(process.versions.node.split('.')[0]);

/** Where the driver module is, for the writer thread's own `require`. */
export const sqliteDriverPath: string = require.resolve(
  major >= 22 ? 'better-sqlite3-node22' : 'better-sqlite3',
);

export const SQLite: typeof BetterSqlite3 = require(sqliteDriverPath);
