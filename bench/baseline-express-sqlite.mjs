// Baseline B: what a competent hand-written receiver costs — Express 5 + better-sqlite3, verify,
// parse, and store one row per request before acknowledging. With synchronous=FULL (the default
// here) that is the durability Switchyard promises: an acknowledged event is committed and
// fsynced. With SQLITE_SYNCHRONOUS=NORMAL a WAL commit is not fsynced (a power cut can lose the
// last acknowledged events): the faster, weaker receiver many would write.
//
// Env: PORT (required), DATA_DIR (required, the database goes there), WHIPPY_SIGNING_KEYS,
// SQLITE_SYNCHRONOUS (FULL or NORMAL; default FULL).
import { join } from 'node:path';
// The driver the service uses on this Node line (better-sqlite3 12 on Node 20, 13 on 22+).
import { SQLite as Database } from '../dist/platform/store/sqlite-driver.js';
import express from 'express';
import { monotonicFactory } from 'ulid';
import { SIGNATURE_HEADER, signingKeysFromEnv, verifySignature } from './whippy-signature.mjs';

const SOURCE = 'whippy';
const keys = signingKeysFromEnv();
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to a positive integer');
if (!process.env.DATA_DIR) throw new Error('DATA_DIR must be set');
const synchronous = process.env.SQLITE_SYNCHRONOUS ?? 'FULL';
if (!['FULL', 'NORMAL'].includes(synchronous)) throw new Error('SQLITE_SYNCHRONOUS must be FULL or NORMAL');

const db = new Database(join(process.env.DATA_DIR, 'baseline.sqlite'));
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${synchronous}`);
db.exec(`
  CREATE TABLE IF NOT EXISTS events (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    type        TEXT NOT NULL,
    raw_body    BLOB NOT NULL,
    headers     TEXT NOT NULL,
    received_at TEXT NOT NULL,
    status      TEXT NOT NULL,
    UNIQUE (source, request_id)
  )
`);
const insertEvent = db.prepare(`
  INSERT INTO events (id, source, request_id, type, raw_body, headers, received_at, status)
  VALUES (?, ?, ?, ?, ?, ?, ?, 'received')
  ON CONFLICT DO NOTHING
`);
const findEvent = db.prepare('SELECT id FROM events WHERE source = ? AND request_id = ?');
// ULIDs (time-ordered) keep primary-key inserts append-only, as a sensible service would.
const newId = monotonicFactory();

const app = express();

app.get('/health/ready', (_req, res) => {
  res.json({ status: 'ok' });
});

app.post('/webhooks/whippy', express.raw({ type: 'application/json', limit: '1mb' }), (req, res) => {
  // express.raw leaves req.body undefined when the content-type does not match.
  if (!Buffer.isBuffer(req.body)) return res.status(415).json({ error: 'unsupported_media_type' });
  if (!verifySignature(req.body, req.get(SIGNATURE_HEADER), keys)) {
    return res.status(401).json({ error: 'invalid_signature' });
  }
  let event;
  try {
    event = JSON.parse(req.body.toString('utf8'));
  } catch {
    return res.status(400).json({ error: 'invalid_json' });
  }
  if (typeof event?.event !== 'string' || typeof event.request_id !== 'string') {
    return res.status(400).json({ error: 'invalid_event' });
  }

  const id = newId();
  const { changes } = insertEvent.run(
    id,
    SOURCE,
    event.request_id,
    event.event,
    req.body,
    JSON.stringify(req.headers),
    new Date().toISOString(),
  );
  if (changes === 1) return res.json({ received: true, id, duplicate: false });
  const existing = findEvent.get(SOURCE, event.request_id);
  res.json({ received: true, id: existing?.id ?? null, duplicate: true });
});

const server = app.listen(port, '127.0.0.1');

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => {
    db.close();
    process.exit(0);
  });
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Started by the benchmark with an IPC channel: exit if the benchmark goes away without killing us.
if (process.send) process.on('disconnect', shutdown);
