import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { OptionalOneOf, OptionalText, OptionalTime, RequiredText } from './admin-fields.js';
import type { DeliveryStatus } from '../../store/database.js';
import { PageQuery } from './page.dto.js';

export const DELIVERY_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'dead',
] as const satisfies readonly DeliveryStatus[];

/** `GET /admin/api/deliveries`. */
export class DeliveryListQuery extends PageQuery {
  @OptionalOneOf(DELIVERY_STATUSES, { description: 'the delivery status' }) status?: DeliveryStatus;
  @OptionalText({ description: 'a subscriber id', example: 'relay.billing' }) subscriber?: string;
  @OptionalText({ description: 'a stored event id' }) event?: string;
}

/** `POST /admin/api/routes/explain`: a payload, or a whole Whippy body. */
export class ExplainBody {
  @RequiredText({ description: 'the Whippy event type', example: 'message.created' }) event!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: "the event's data, as Whippy sends it",
  })
  @IsObject({ message: 'data must be a JSON object' })
  data!: Record<string, unknown>;

  @OptionalText({ description: 'the source it arrives on', example: 'whippy' }) source?: string;
}

/** `POST /admin/api/events/:id/replay`. */
export class ReplayBody {
  @ApiPropertyOptional({
    type: [String],
    description: 'only these subscribers (default: every subscriber its routes select)',
  })
  @IsOptional()
  @IsArray({ message: 'subscribers must be a list of subscriber ids' })
  @ArrayMaxSize(100, { message: 'subscribers may name at most 100 subscribers' })
  @IsString({ each: true, message: 'subscribers must be a list of subscriber ids' })
  @MaxLength(256, { each: true, message: 'subscribers: each id has at most 256 characters' })
  subscribers?: string[];
}

/** `POST /admin/api/subscribers/:id/backfill`. */
export class BackfillBody {
  @OptionalTime({ description: 'events received at or after this ISO time' }) since?: string;
  @OptionalTime({ description: 'events received before this ISO time' }) until?: string;

  @ApiPropertyOptional({ type: Boolean, default: true, description: 'only count what would be delivered' })
  @IsOptional()
  @IsBoolean({ message: 'dryRun must be true or false' })
  dryRun?: boolean;
}
