// The signed webhook every ingest benchmark sends: a realistic message.created with a fresh
// request_id per request.
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signatureHeader } from './whippy-signature.mjs';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const FIXTURE = join(ROOT, 'fixtures', 'whippy', 'message.created.json');

// A realistic inbound SMS, used when the shared fixture is not there.
const INLINE_MESSAGE = {
  id: '0b6f3a52-9c1e-4d7a-8f25-3e4c9a1d7b60',
  to: '+13105550142',
  from: '+14155550187',
  body: "Hi, this is Dana. Can we move Thursday's appointment to 3:30pm? Also, do I need to bring the paperwork from last time? Thanks!",
  direction: 'INBOUND',
  type: 'sms',
  delivery_status: 'delivered',
  contact_id: 'c7d2e9f4-1a3b-4c5d-8e6f-7a8b9c0d1e2f',
  conversation_id: '5e1a9b3c-7d2f-4e8a-9c6b-1f0d3a2e4b5c',
  channel_id: '9a4c2e6f-8b1d-4f3a-a5c7-2d6e8f0b1a3c',
  attachments: [],
  created_at: '2025-06-12T17:42:08.311Z',
  updated_at: '2025-06-12T17:42:08.934Z',
};

/** The message the payloads carry: the shared fixture's `data`, or the inline one. */
export function loadMessage() {
  if (!existsSync(FIXTURE)) return { message: INLINE_MESSAGE, source: 'inline message' };
  const parsed = JSON.parse(readFileSync(FIXTURE, 'utf8'));
  // Accept either the bare message or a whole webhook envelope.
  const isEnvelope = parsed && typeof parsed === 'object' && 'event' in parsed && 'data' in parsed;
  return { message: isEnvelope ? parsed.data : parsed, source: relative(ROOT, FIXTURE) };
}

/**
 * Returns a function producing a fresh { body, signature } per call. The envelope is serialised once
 * and the uuid spliced in, so per-request client cost is one uuid + one HMAC, keeping the load
 * generator's CPU share small on a 2-core box.
 */
export function createPayloadFactory(key, message) {
  const marker = `"__request_id_${randomUUID()}__"`;
  const template = JSON.stringify({
    event: 'message.created',
    request_id: JSON.parse(marker),
    data: message,
  });
  const parts = template.split(marker);
  if (parts.length !== 2) throw new Error('payload template must contain the request_id marker exactly once');
  const [head, tail] = parts;
  return () => {
    const body = `${head}"${randomUUID()}"${tail}`;
    return { body, signature: signatureHeader(key, body) };
  };
}
