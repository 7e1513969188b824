import { Injectable, NotFoundException, PipeTransform } from '@nestjs/common';
import { ULID } from './dto/admin-fields.js';

/**
 * An event or delivery id from the path. Ids are ULIDs; anything else cannot be stored, so it
 * is a 404 without a query (PostgreSQL would refuse a NUL in it outright).
 */
@Injectable()
export class StoredIdPipe implements PipeTransform<string, string> {
  constructor(private readonly what: 'event' | 'delivery') {}

  transform(id: string): string {
    if (ULID.test(id)) return id;
    throw new NotFoundException({
      error: 'not_found',
      message: `no ${this.what} with that id (${this.what} ids are 26-character ULIDs)`,
    });
  }
}
