// Signed, unique message.created webhooks sent with autocannon to one or more APIs at once.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { KEY, ROOT } from './processes.mjs';
import { signatureHeader } from './whippy-signature.mjs';

const MESSAGE = JSON.parse(readFileSync(join(ROOT, 'fixtures/whippy/message.created.json'), 'utf8'));
const PREFIX = JSON.stringify({ event: 'message.created', request_id: '@' }).slice(0, -4);

/**
 * Loads every URL in `urls` for `seconds` with `connections` each; `rate` (events/s over all
 * URLs) paces it, none sends as fast as the APIs answer. `onSend(id)` is called with each
 * event's data.id as it is sent, `onAck()` for each 200. Resolves with the summed results.
 */
export async function signedLoad({ urls, seconds, connections, rate, onSend = () => {}, onAck = () => {} }) {
  const results = await Promise.all(
    urls.map((url) =>
      autocannon({
        url: `${url}/webhooks/whippy`,
        connections,
        ...(rate ? { overallRate: rate / urls.length } : {}),
        duration: seconds,
        requests: [
          {
            method: 'POST',
            setupRequest(request) {
              const id = randomUUID();
              const body = `${PREFIX}"${randomUUID()}","data":${JSON.stringify({ ...MESSAGE, id })}}`;
              onSend(id);
              return {
                ...request,
                body,
                headers: {
                  'content-type': 'application/json',
                  'x-whippy-signature': signatureHeader(KEY, body),
                },
              };
            },
          },
        ],
      }).on('response', (_client, status) => status === 200 && onAck()),
    ),
  );
  return {
    sent: results.reduce((n, r) => n + r.requests.total, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
  };
}
