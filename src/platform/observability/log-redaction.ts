import type { DestinationStream } from 'pino';

/**
 * Where a phone number or an email address may start: not inside a word (a UUID's or an ISO
 * date's digits, `a+b`), except right after a JSON escape such as `\n`, whose letter is a word
 * character but not part of the value.
 */
const START = String.raw`(?:(?<=\[a-z])|(?<![\\w.+-]))`;
/**
 * E.164 numbers (`+15555550123`, `+1 555 555 0123`) and North American formats
 * (`(555) 555-0123`, `555.555.0123`). Plain digit runs are left alone: ids, epoch
 * milliseconds and counts look the same.
 */
const PHONE = String.raw`(?:\+\d(?:[ .-]?\(?\d\)?){6,14}|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?![\w-])`;
const EMAIL = String.raw`[\w.+-]+@[\w-]+(?:\.[\w-]+)+`;
/**
 * One pass over each line finds both; compiled once. The start rule also keeps the scan
 * linear: a long run of word characters is tried from its first character only.
 */
const SENSITIVE = new RegExp(`${START}(?:(${EMAIL})|${PHONE})`, 'g');

/** The text with each email address and phone number replaced by a placeholder. */
export function maskText(text: string): string {
  return text.replace(SENSITIVE, (_match, email: string | undefined) => (email ? '[email]' : '[phone]'));
}

/**
 * Fields that hold a message body or a credential in a logged object, at the top or one level
 * down (`{ data: { body } }`, `{ err: { token } }`); pino removes their values before the line
 * is written.
 */
export const REDACTED_FIELDS = ['body', 'text', 'password', 'secret', 'token', 'apiKey', 'authorization'];

export function redactedPaths(): string[] {
  return [...REDACTED_FIELDS, ...REDACTED_FIELDS.map((field) => `*.${field}`), 'data.*.body'];
}

/**
 * The destination with every written line masked ({@link maskText}): the message, each field,
 * an error's message and stack, whoever logged it (the platform, a module, Nest, pino-http).
 * Masking the serialized line costs one regular-expression pass per line and cannot miss a field
 * nested deeper than a formatter would look.
 */
export function maskingDestination(destination: DestinationStream): DestinationStream {
  return {
    write(line: string) {
      destination.write(maskText(line));
    },
  };
}
