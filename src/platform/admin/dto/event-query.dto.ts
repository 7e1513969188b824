import type { EventStatus } from '../../store/database.js';
import { OptionalOneOf, OptionalText, OptionalTime, PageSize } from './admin-fields.js';
import { PageQuery } from './page.dto.js';

export const EVENT_STATUSES = [
  'received',
  'routed',
  'unrouted',
  'unknown',
  'invalid',
  'held',
] as const satisfies readonly EventStatus[];

/** `GET /admin/api/events`. */
export class EventListQuery extends PageQuery {
  @OptionalText({ description: 'a configured source', example: 'whippy' }) source?: string;
  @OptionalText({ description: 'a Whippy event type', example: 'message.created' }) type?: string;
  @OptionalOneOf(EVENT_STATUSES, { description: 'the event status' }) status?: EventStatus;
  @OptionalTime({ description: 'received at or after this ISO time' }) since?: string;
  @OptionalTime({ description: 'received before this ISO time' }) until?: string;
  @OptionalText({ description: "a Whippy contact id: the body's data.contact_id or data.contact.id" })
  contact?: string;
}

/** `GET /admin/api/verification-failures`. */
export class FailureListQuery {
  @OptionalText({ description: 'a configured source', example: 'whippy' }) source?: string;
  @PageSize() limit?: number;
}
