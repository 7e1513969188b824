import {
  ArgumentMetadata,
  BadRequestException,
  Injectable,
  ValidationError,
  ValidationPipe,
} from '@nestjs/common';
import { getMetadataStorage } from 'class-validator';

/** The wire code of bad input, by where it came from. */
const CODES: Partial<Record<ArgumentMetadata['type'], string>> = {
  query: 'invalid_query',
  body: 'invalid_payload',
  param: 'invalid_parameter',
};

class InvalidInput extends Error {}

/**
 * Nest's ValidationPipe over the DTO classes, answering 400 with `invalid_query`,
 * `invalid_payload` or `invalid_parameter` and every problem by its field path. Fields a DTO
 * does not declare are dropped; values are converted to the DTO's types.
 */
@Injectable()
export class InputValidationPipe extends ValidationPipe {
  constructor() {
    super({
      transform: true,
      whitelist: true,
      exceptionFactory: (errors) => new InvalidInput(describe(errors).join('; ')),
    });
  }

  /** Only classes with class-validator decorators are DTOs; any other parameter passes as it is. */
  protected override toValidate(metadata: ArgumentMetadata): boolean {
    const type = metadata.metatype;
    return (
      super.toValidate(metadata) &&
      typeof type === 'function' &&
      getMetadataStorage().getTargetValidationMetadatas(type, '', true, false).length > 0
    );
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const code = CODES[metadata.type] ?? 'invalid_input';
    const isDto = this.toValidate(metadata);
    if (isDto && metadata.type === 'body' && value !== undefined && !isPlainObject(value)) {
      throw new BadRequestException({ error: code, message: 'send a JSON object' });
    }
    try {
      return await super.transform(value, metadata);
    } catch (error) {
      if (error instanceof InvalidInput)
        throw new BadRequestException({ error: code, message: error.message });
      throw error;
    }
  }
}

const isPlainObject = (value: unknown): boolean =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** `subscribers.0: must be a string`, one entry per failed constraint, nested paths joined. */
function describe(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((error) => {
    const path = `${prefix}${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((message) =>
      message.startsWith(`${error.property} `) ? `${prefix}${message}` : `${path}: ${message}`,
    );
    return [...own, ...describe(error.children ?? [], `${path}.`)];
  });
}
