import type { DeliveryContext, SubscriberDefinition } from './subscriber.js';

export class DeliveryTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'DeliveryTimeout';
  }
}

export type HandlerOutcome = { ok: true } | { ok: false; error: unknown; timeout?: true };

/**
 * Calls a handler with a timeout. `outcome` settles at the handler's end or at the timeout
 * (which aborts `controller`), whichever comes first; `handling` settles only when the
 * handler itself has ended, which a handler ignoring its signal may delay. Never rejects:
 * whatever the handler throws, synchronously or not, is an outcome.
 */
export async function runHandler<E>(
  subscriber: SubscriberDefinition<E>,
  event: E,
  context: DeliveryContext,
  controller: AbortController,
  timeoutMs: number,
): Promise<{ outcome: HandlerOutcome; handling: Promise<HandlerOutcome> }> {
  const handling = (async () => subscriber.handle(event, context))().then(
    (): HandlerOutcome => ({ ok: true }),
    (error: unknown): HandlerOutcome => ({ ok: false, error }),
  );
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<HandlerOutcome>((resolve) => {
    timer = setTimeout(() => {
      const error = new DeliveryTimeout(timeoutMs);
      controller.abort(error);
      resolve({ ok: false, error, timeout: true });
    }, timeoutMs);
  });
  const outcome = await Promise.race([handling, timedOut]);
  clearTimeout(timer);
  return { outcome, handling };
}
