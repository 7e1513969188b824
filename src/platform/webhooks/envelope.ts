/** The part of Whippy's body the platform relies on; everything else is the event's own. */
export interface Envelope {
  event: string;
  request_id: string;
  data: Record<string, unknown>;
}

export type EnvelopeCheck = { ok: true; envelope: Envelope } | { ok: false; message: string };

/** Parses a verified body and checks it is `{event: string, request_id: string, data: object}`. */
export function parseEnvelope(body: Buffer): EnvelopeCheck {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return { ok: false, message: `body is not JSON: ${(error as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'body must be a JSON object' };
  }
  const { event, request_id: requestId, data } = value as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof event !== 'string' || event.trim() === '') problems.push('"event" must be a non-empty string');
  if (typeof requestId !== 'string' || requestId.trim() === '')
    problems.push('"request_id" must be a non-empty string');
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    problems.push('"data" must be an object');
  if (problems.length) return { ok: false, message: problems.join('; ') };
  return { ok: true, envelope: value as Envelope };
}
