// Baseline A: the cheapest honest receiver — bare node:http, verify the signature, parse, acknowledge.
// Nothing is stored, so this is the ceiling for "HTTP + HMAC + JSON" on this machine.
//
// Env: PORT (required), WHIPPY_SIGNING_KEYS (comma-separated). Listens on 127.0.0.1 only.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { SIGNATURE_HEADER, signingKeysFromEnv, verifySignature } from './whippy-signature.mjs';

const MAX_BODY_BYTES = 1024 * 1024;
const keys = signingKeysFromEnv();
const port = Number(process.env.PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error('PORT must be set to a positive integer');

function send(res, status, payload) {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function handleWebhook(req, res) {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      send(res, 413, { error: 'payload_too_large' });
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    if (res.headersSent) return;
    const rawBody = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
    if (!verifySignature(rawBody, req.headers[SIGNATURE_HEADER], keys)) {
      return send(res, 401, { error: 'invalid_signature' });
    }
    let event;
    try {
      event = JSON.parse(rawBody.toString('utf8'));
    } catch {
      return send(res, 400, { error: 'invalid_json' });
    }
    if (typeof event?.event !== 'string' || typeof event.request_id !== 'string') {
      return send(res, 400, { error: 'invalid_event' });
    }
    send(res, 200, { received: true, id: randomUUID(), duplicate: false });
  });
}

const server = createServer((req, res) => {
  const path = req.url.split('?', 1)[0];
  if (req.method === 'POST' && path === '/webhooks/whippy') return handleWebhook(req, res);
  if (req.method === 'GET' && path === '/health/ready') return send(res, 200, { status: 'ok' });
  send(res, 404, { error: 'not_found' });
});

server.listen(port, '127.0.0.1');

let closing = false;
function shutdown() {
  if (closing) return;
  closing = true;
  server.close(() => process.exit(0));
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// Started by the benchmark with an IPC channel: exit if the benchmark goes away without killing us.
if (process.send) process.on('disconnect', shutdown);
