import type { IncomingMessage } from 'node:http';

/** Why a body could not be read: 413 past the limit, 400 for a body cut short. */
export class BodyReadError extends Error {
  constructor(
    readonly status: 400 | 413,
    message: string,
  ) {
    super(message);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Reads a request's body as the exact bytes received, at most `limit` of them: one Buffer,
 * no decoding, no copy when it came in one chunk. A declared `content-length` over the limit
 * fails before a byte is kept. On failure the rest of the body is read off (and dropped)
 * before `done` is called, so the answer reaches a client that is still sending.
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  done: (error: BodyReadError | undefined, body: Buffer) => void,
): void {
  const declaredHeader = req.headers['content-length'];
  const declared = declaredHeader === undefined ? undefined : Number(declaredHeader);
  // No content-length and no transfer-encoding: HTTP says there is no body.
  if (req.headers['transfer-encoding'] === undefined && (declared === undefined || Number.isNaN(declared)))
    return done(undefined, EMPTY);
  if (declared !== undefined && declared > limit)
    return drain(req, () => done(new BodyReadError(413, 'request entity too large'), EMPTY));

  const chunks: Buffer[] = [];
  let received = 0;
  let settled = false;
  const cleanup = () => {
    settled = true;
    req.off('data', onData);
    req.off('end', onEnd);
    req.off('error', onError);
    req.off('close', onClose);
  };
  const fail = (error: BodyReadError) => {
    cleanup();
    drain(req, () => done(error, EMPTY));
  };
  const onData = (chunk: Buffer) => {
    if (settled) return;
    received += chunk.length;
    if (received > limit) return fail(new BodyReadError(413, 'request entity too large'));
    chunks.push(chunk);
  };
  const onEnd = () => {
    if (settled) return;
    if (declared !== undefined && received !== declared)
      return fail(new BodyReadError(400, 'request size did not match content length'));
    cleanup();
    done(undefined, chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, received));
  };
  const onError = (error: Error) => {
    if (!settled) fail(new BodyReadError(400, error.message));
  };
  const onClose = () => {
    if (!settled) fail(new BodyReadError(400, 'request aborted'));
  };
  req.on('data', onData);
  req.on('end', onEnd);
  req.on('error', onError);
  req.on('close', onClose);
}

/** Reads off and drops what is left of the body, then calls `then` once. */
function drain(req: IncomingMessage, then: () => void): void {
  if (req.complete || req.destroyed) return then();
  let called = false;
  const once = () => {
    if (called) return;
    called = true;
    then();
  };
  req.once('end', once);
  req.once('close', once);
  req.on('error', () => undefined);
  req.resume();
}
