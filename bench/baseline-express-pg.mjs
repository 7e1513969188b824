// Baseline D: the hand-written receiver on PostgreSQL — Express 5 + pg, verify, parse, and store
// one row per request before acknowledging. PostgreSQL's default synchronous_commit=on makes each
// acknowledged insert durable (WAL flushed), the durability Switchyard promises on PostgreSQL.
//
// Env: PORT (required), DATABASE_URL (required, a database of its own), WHIPPY_SIGNING_KEYS.
import express from 'express';
import pg from 'pg';
import { monotonicFactory } from 'ulid';
import { SIGNATURE_HEADER, signingKeysFromEnv, verifySignature } from './whippy-signature.mjs';

const SOURCE = 'whippy';
const keys = signingKeysFromEnv();
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to a positive integer');
if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL must be set');

// The same pool size as Switchyard's PostgreSQL store.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
await pool.query(`
  CREATE TABLE IF NOT EXISTS events (
    id          TEXT PRIMARY KEY,
    source      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    type        TEXT NOT NULL,
    raw_body    BYTEA NOT NULL,
    headers     JSONB NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    status      TEXT NOT NULL,
    UNIQUE (source, request_id)
  )
`);
const INSERT = {
  name: 'insert-event',
  text: `INSERT INTO events (id, source, request_id, type, raw_body, headers, received_at, status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'received') ON CONFLICT DO NOTHING`,
};
const FIND = { name: 'find-event', text: 'SELECT id FROM events WHERE source = $1 AND request_id = $2' };
const newId = monotonicFactory();

const app = express();

app.get('/health/ready', (_req, res) => {
  res.json({ status: 'ok' });
});

app.post('/webhooks/whippy', express.raw({ type: 'application/json', limit: '1mb' }), async (req, res) => {
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
  try {
    const { rowCount } = await pool.query({
      ...INSERT,
      values: [id, SOURCE, event.request_id, event.event, req.body, JSON.stringify(req.headers), new Date()],
    });
    if (rowCount === 1) return res.json({ received: true, id, duplicate: false });
    const { rows } = await pool.query({ ...FIND, values: [SOURCE, event.request_id] });
    res.json({ received: true, id: rows[0]?.id ?? null, duplicate: true });
  } catch {
    res.status(503).json({ error: 'store_unavailable' });
  }
});

const server = app.listen(port, '127.0.0.1');

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => {
    pool.end().finally(() => process.exit(0));
  });
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Started by the benchmark with an IPC channel: exit if the benchmark goes away without killing us.
if (process.send) process.on('disconnect', shutdown);
