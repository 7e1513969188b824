import { describe } from './retry-policy.js';

/** Waits between tries of a write the store refused: from this, doubling, up to the max. */
const FIRST_WAIT_MS = 100;
const MAX_WAIT_MS = 5000;

/**
 * Runs a write until it succeeds: a status that is not recorded leaves an event `received`
 * or a delivery `running` forever. Once `signal` aborts (the service stops) a failed try is
 * the last (recovery at the next start takes over) and it resolves false.
 */
export async function persist(
  write: () => Promise<unknown>,
  options: { signal: AbortSignal; onError(error: unknown, tries: number): void },
): Promise<boolean> {
  let wait = FIRST_WAIT_MS;
  for (let tries = 1; ; tries++) {
    try {
      await write();
      return true;
    } catch (error) {
      if (options.signal.aborted) return false;
      options.onError(error, tries);
    }
    await sleep(wait, options.signal);
    wait = Math.min(MAX_WAIT_MS, wait * 2);
  }
}

/**
 * Runs a task in the background until it completes, waiting longer after each failure (1 s,
 * doubling, up to 30 s), or until `signal` aborts.
 */
export async function retrying(
  what: string,
  task: () => Promise<void>,
  options: { signal: AbortSignal; warn(message: string): void },
): Promise<void> {
  for (let wait = 1000; !options.signal.aborted; wait = Math.min(wait * 2, 30_000)) {
    try {
      return await task();
    } catch (error) {
      options.warn(`${what} failed: ${describe(error)}; trying again in ${wait / 1000} s`);
      await sleep(wait, options.signal);
    }
  }
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
