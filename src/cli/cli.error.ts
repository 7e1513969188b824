/** A failure the user can act on: printed as `switchyard: <message>`, exit code 1, no stack. */
export class CliError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * An option's value that does not parse. Commander reports an error with this code the way it
 * reports its own usage errors (`error: option '--count <n>' argument 'x' is invalid. …`).
 */
export function invalidArgument(message: string): Error {
  return Object.assign(new Error(message), { code: 'commander.invalidArgument' });
}

/**
 * The useful part of a network or driver error: `fetch failed` and pg's connection errors
 * keep the reason (ECONNREFUSED, ENOTFOUND, …) in `cause` or in an AggregateError's `errors`.
 */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) {
    return [...new Set(error.errors.map(describeError))].join('; ');
  }
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return error.message;
    if (error.cause !== undefined) return describeError(error.cause);
    const code = (error as { code?: unknown }).code;
    if (error.message) return error.message;
    if (typeof code === 'string') return code;
  }
  return String(error);
}
