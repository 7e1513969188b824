import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, ValidateBy, ValidationArguments } from 'class-validator';

/**
 * Decorators for the admin API's inputs. Each composes the conversion (class-transformer), the
 * check (class-validator, under `InputValidationPipe`) and the OpenAPI description, the way
 * `platform/events/whippy-fields.ts` composes the catalog's fields. A query parameter given
 * twice arrives as an array and is refused with "may be given once".
 */

/** Upper bound of a page; a larger `limit` is refused, not silently lowered. */
export const MAX_PAGE_SIZE = 500;
export const DEFAULT_PAGE_SIZE = 50;
/** Longer than any id, type or name the service stores or configures. */
const MAX_TEXT = 256;

// NUL is the point of the check.
// eslint-disable-next-line no-control-regex
const NOT_STORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A stored id (events, deliveries): a ULID. */
export const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const NORMALIZED_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const ISO_TIME = /^\d{4}-\d\d-\d\d(T\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?)?$/;

interface Described {
  description: string;
  example?: unknown;
}

/** A check whose message says "may be given once" for a repeated query parameter. */
function check(name: string, test: (value: unknown) => boolean, message: (property: string) => string) {
  return ValidateBy({
    name,
    validator: {
      validate: test,
      defaultMessage: (args?: ValidationArguments) =>
        Array.isArray(args?.value)
          ? `${args!.property} may be given once`
          : message(args?.property ?? 'value'),
    },
  });
}

/** Text a store column can hold on both dialects: PostgreSQL refuses NUL and broken UTF-16. */
const isText = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= MAX_TEXT && !NOT_STORABLE.test(value);

/** Optional text: a filter on a stored column, or a name. */
export const OptionalText = (doc: Described): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: String, maxLength: MAX_TEXT, ...doc }),
    IsOptional(),
    check('isText', isText, (p) => `${p} must be text of at most ${MAX_TEXT} characters, without NUL`),
  );

/** Required text. */
export const RequiredText = (doc: Described): PropertyDecorator =>
  applyDecorators(
    ApiProperty({ type: String, maxLength: MAX_TEXT, ...doc }),
    check('isText', isText, (p) => `${p} must be text of at most ${MAX_TEXT} characters, without NUL`),
  );

/** One of a fixed list of values. */
export const OptionalOneOf = (values: readonly string[], doc: Described): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ enum: [...values], ...doc }),
    IsOptional(),
    check(
      'isOneOf',
      (value) => typeof value === 'string' && values.includes(value),
      (p) => `${p} must be one of ${values.join(', ')}`,
    ),
  );

/** `limit`: a whole number from 1 to {@link MAX_PAGE_SIZE}. */
export const PageSize = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({
      type: Number,
      minimum: 1,
      maximum: MAX_PAGE_SIZE,
      default: DEFAULT_PAGE_SIZE,
      description: 'items per page',
    }),
    Transform(({ value }) =>
      value === '' ? undefined : typeof value === 'string' && /^\d{1,6}$/.test(value) ? Number(value) : value,
    ),
    IsOptional(),
    check(
      'isPageSize',
      (value) => Number.isInteger(value) && (value as number) >= 1 && (value as number) <= MAX_PAGE_SIZE,
      (p) => `${p} must be a whole number from 1 to ${MAX_PAGE_SIZE}`,
    ),
  );

/** `cursor`: the `nextCursor` of a previous page (a stored id). */
export const PageCursor = (): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: String, description: 'the nextCursor of the previous page' }),
    Transform(({ value }) => (value === '' ? undefined : value)),
    IsOptional(),
    check(
      'isCursor',
      (value) => typeof value === 'string' && ULID.test(value),
      (p) => `${p} must be the nextCursor of a previous page`,
    ),
  );

/** An ISO 8601 time, handed on as a UTC ISO string (`2026-11-27T10:00:00.000Z`). */
export const OptionalTime = (doc: Described): PropertyDecorator =>
  applyDecorators(
    ApiPropertyOptional({ type: String, format: 'date-time', ...doc }),
    Transform(({ value }) => {
      if (value === '' || value === null) return undefined;
      if (typeof value !== 'string' || !ISO_TIME.test(value)) return value;
      const time = new Date(value);
      return Number.isNaN(time.getTime()) ? value : time.toISOString();
    }),
    IsOptional(),
    check(
      'isIsoTime',
      (value) => typeof value === 'string' && NORMALIZED_TIME.test(value),
      (p) => `${p} must be an ISO 8601 time`,
    ),
  );
