import { plainToInstance, type ClassTransformOptions } from 'class-transformer';
import { validateSync, type ValidationError, type ValidatorOptions } from 'class-validator';
import { eventClassFor, type KnownWhippyEvent } from './event-catalog.js';
import { UnknownWhippyEvent } from './whippy-event.js';
import { whippyName } from './whippy-fields.js';
import { buildWhippyObject } from './whippy-object.builder.js';

/** A stored envelope: what `parseWhippyEvent` turns into a typed event. */
export interface WhippyEventInput {
  /** The stored event's id. */
  id: string;
  /** Whippy's `event`, e.g. `message.created`. */
  type: string;
  source: string;
  requestId: string;
  receivedAt: Date;
  /** Whippy's `data`, as parsed from the body (snake_case). */
  data: Record<string, unknown>;
}

export type WhippyEventParseResult =
  | { status: 'valid'; event: KnownWhippyEvent }
  /** Each error names the field by its Whippy path: `data.unread_count: must be an integer`. */
  | { status: 'invalid'; errors: string[] }
  | { status: 'unknown'; event: UnknownWhippyEvent };

/** Only declared fields are read (the rest go to each object's `extra`); no type coercion. */
const TRANSFORM: ClassTransformOptions = { excludeExtraneousValues: true, enableImplicitConversion: false };
const VALIDATE: ValidatorOptions = {
  forbidUnknownValues: true,
  validationError: { target: false, value: false },
};
/** Enough to see what is wrong; an array of a thousand bad items does not need a thousand lines. */
const MAX_ERRORS = 50;

/**
 * Turns a stored envelope into a typed event of the catalog, or says why it cannot: `invalid`
 * when the data has a field of the wrong JSON type (or an unparseable timestamp), `unknown`
 * when the catalog lacks the type. Never throws.
 */
export function parseWhippyEvent(input: WhippyEventInput): WhippyEventParseResult {
  try {
    const eventClass = eventClassFor(input.type);
    if (!eventClass) return { status: 'unknown', event: new UnknownWhippyEvent(input) };
    if (typeof input.data !== 'object' || input.data === null || Array.isArray(input.data)) {
      return { status: 'invalid', errors: ['data: must be an object'] };
    }
    // Well-typed data (nearly all of it) is built directly; anything else takes the exact path,
    // which also says what is wrong.
    let data: object | undefined = buildWhippyObject(eventClass.dataClass, input.data);
    if (!data) {
      data = plainToInstance(eventClass.dataClass, input.data, TRANSFORM) as object;
      const errors = validateSync(data, VALIDATE);
      if (errors.length > 0) return { status: 'invalid', errors: describeErrors(errors) };
    }
    const { id, source, requestId, receivedAt } = input;
    const event = new eventClass({
      id,
      source,
      requestId,
      receivedAt,
      data: data as never,
    }) as KnownWhippyEvent;
    return { status: 'valid', event };
  } catch (error) {
    return { status: 'invalid', errors: [`data: could not be read (${String(error)})`] };
  }
}

function describeErrors(errors: ValidationError[]): string[] {
  const lines: string[] = [];
  collect(errors, 'data', lines);
  if (lines.length <= MAX_ERRORS) return lines;
  return [...lines.slice(0, MAX_ERRORS), `… and ${lines.length - MAX_ERRORS} more`];
}

function collect(errors: ValidationError[], parent: string, lines: string[]): void {
  for (const error of errors) {
    const path = /^\d+$/.test(error.property)
      ? `${parent}[${error.property}]`
      : `${parent}.${whippyName(error.property)}`;
    // The first failed check says it: an object field holding a string fails two checks alike.
    const [message] = Object.values(error.constraints ?? {});
    if (message) lines.push(`${path}: ${message}`);
    collect(error.children ?? [], path, lines);
  }
}
