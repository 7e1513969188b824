import { isUtf8 } from 'node:buffer';

/** The part of Whippy's body the platform relies on; everything else is the event's own. */
export interface Envelope {
  event: string;
  request_id: string;
  data: Record<string, unknown>;
}

export type EnvelopeCheck =
  | {
      ok: true;
      envelope: Envelope;
      /** The dedupe key: the scheme's message id when it has one, else `request_id`. */
      requestId: string;
    }
  | { ok: false; message: string };

/**
 * Longest `request_id` (and scheme message id) kept, in UTF-8 bytes. Whippy sends UUIDs (36);
 * the bound keeps every id far under PostgreSQL's index row limit (~2.7 KB).
 */
export const MAX_REQUEST_ID_BYTES = 255;

/** Longest event type, in characters. Whippy's longest today is 24 (`message_template.created`). */
export const MAX_EVENT_TYPE_LENGTH = 100;

/**
 * An event type is printable ASCII without spaces: every Whippy type (`message_template.created`)
 * and any sane future one (`Invoice.Paid`, `call:analyzed`) passes and is kept, as `unknown`
 * when the catalog lacks it; NUL, control characters and text a filter or log line cannot show
 * do not.
 */
const EVENT_TYPE = /^[\x21-\x7e]+$/;

/** C0 controls (NUL included), DEL and C1 controls: never part of an id, and NUL cannot be stored. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A lone UTF-16 surrogate (`"\ud800"` in JSON): no UTF-8 form, so storing it would merge ids. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** What makes an id unusable as a dedupe key; undefined when it is fine. */
function idProblem(name: string, id: string): string | undefined {
  if (id.trim() === '') return `"${name}" must be a non-empty string`;
  if (Buffer.byteLength(id, 'utf8') > MAX_REQUEST_ID_BYTES)
    return `"${name}" is longer than ${MAX_REQUEST_ID_BYTES} bytes`;
  if (CONTROL.test(id)) return `"${name}" contains a control character`;
  if (LONE_SURROGATE.test(id)) return `"${name}" contains a lone surrogate (not valid Unicode)`;
  return undefined;
}

function typeProblem(type: unknown): string | undefined {
  if (typeof type !== 'string' || type.trim() === '') return '"event" must be a non-empty string';
  if (type.length > MAX_EVENT_TYPE_LENGTH)
    return `"event" is longer than ${MAX_EVENT_TYPE_LENGTH} characters`;
  if (!EVENT_TYPE.test(type)) return '"event" must be printable ASCII without spaces';
  return undefined;
}

/**
 * Parses a verified body and checks it is `{event: string, request_id: string, data: object}`,
 * with an id and a type that can be stored as they are. A body that is not valid UTF-8 is
 * refused: decoding it would replace bytes and could make two different ids one. A scheme's own
 * message id (`webhook-id`), when given, is checked like `request_id`.
 */
export function parseEnvelope(body: Buffer, messageId?: string): EnvelopeCheck {
  if (!isUtf8(body)) return { ok: false, message: 'body is not valid UTF-8' };
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
  const typeIssue = typeProblem(event);
  if (typeIssue) problems.push(typeIssue);
  if (typeof requestId !== 'string') problems.push('"request_id" must be a non-empty string');
  else {
    const idIssue = idProblem('request_id', requestId);
    if (idIssue) problems.push(idIssue);
  }
  if (messageId !== undefined) {
    const idIssue = idProblem('message id', messageId);
    if (idIssue) problems.push(idIssue);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    problems.push('"data" must be an object');
  if (problems.length) return { ok: false, message: problems.join('; ') };
  return { ok: true, envelope: value as Envelope, requestId: messageId ?? (requestId as string) };
}
