import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { DeliveryEngine } from '../bus/delivery-engine.service.js';
import { DeliveryRepository, toView } from '../bus/delivery.repository.js';
import { parseLimit, parseTime, single } from './admin-query.js';
import { AdminGuard } from './admin.guard.js';

const DELIVERY_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'dead'];

/** Routes, explain, deliveries, and the repairs: replay, retry, redrive, backfill. */
@Controller('admin/api')
@UseGuards(AdminGuard)
export class DeliveryController {
  constructor(
    private readonly engine: DeliveryEngine,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** Event type → subscribers with their filters, and every subscriber with what it gets. */
  @Get('routes')
  routes() {
    const table = this.engine.routeTable;
    return { routes: table.table(), subscribers: table.subscribers() };
  }

  /** Which subscribers a payload would reach, and for each one that it would not, why. */
  @Post('routes/explain')
  @HttpCode(200)
  explain(@Body() body: { event?: unknown; source?: unknown; data?: unknown }) {
    if (
      typeof body?.event !== 'string' ||
      typeof body.data !== 'object' ||
      body.data === null ||
      Array.isArray(body.data)
    ) {
      throw new BadRequestException({
        error: 'invalid_payload',
        message: 'send {"event": "<type>", "data": {...}}',
      });
    }
    const source = typeof body.source === 'string' ? body.source : 'whippy';
    return this.engine.routeTable.explain({
      type: body.event,
      source,
      data: body.data as Record<string, unknown>,
    });
  }

  @Post('events/:id/replay')
  @HttpCode(202)
  async replay(@Param('id') id: string, @Body() body: { subscribers?: unknown } = {}) {
    const subscribers = body?.subscribers;
    if (
      subscribers !== undefined &&
      (!Array.isArray(subscribers) || subscribers.some((s) => typeof s !== 'string'))
    ) {
      throw new BadRequestException({
        error: 'invalid_payload',
        message: '"subscribers" must be a list of subscriber ids',
      });
    }
    return { deliveries: await this.engine.replay(id, subscribers as string[] | undefined) };
  }

  /** Newest first; pass `nextCursor` back as `cursor`. */
  @Get('deliveries')
  async list(
    @Query('status') status?: string,
    @Query('subscriber') subscriber?: string,
    @Query('event') event?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    status = single('status', status);
    if (status && !DELIVERY_STATUSES.includes(status)) {
      throw new BadRequestException({
        error: 'invalid_query',
        message: `status must be one of ${DELIVERY_STATUSES.join(', ')}`,
      });
    }
    const pageSize = parseLimit(limit);
    const rows = await this.deliveries.list({
      status,
      subscriber: single('subscriber', subscriber),
      eventId: single('event', event),
      before: single('cursor', cursor) || undefined,
      limit: pageSize + 1,
    });
    const page = rows.slice(0, pageSize).map(toView);
    return { items: page, nextCursor: rows.length > pageSize ? page[page.length - 1].id : null };
  }

  @Post('deliveries/:id/retry')
  @HttpCode(202)
  retry(@Param('id') id: string) {
    return this.engine.retry(id);
  }

  /** Every dead delivery of the subscriber, again. */
  @Post('subscribers/:id/redrive')
  @HttpCode(202)
  redrive(@Param('id') id: string) {
    return this.engine.redrive(id);
  }

  /** `{"since", "until", "dryRun"}`: dry run (the default) only counts what would be delivered. */
  @Post('subscribers/:id/backfill')
  @HttpCode(200)
  backfill(@Param('id') id: string, @Body() body: { since?: string; until?: string; dryRun?: unknown } = {}) {
    if (body?.dryRun !== undefined && typeof body.dryRun !== 'boolean') {
      throw new BadRequestException({ error: 'invalid_payload', message: '"dryRun" must be true or false' });
    }
    return this.engine.backfill(id, {
      since: parseTime('since', body?.since),
      until: parseTime('until', body?.until),
      dryRun: body?.dryRun !== false,
    });
  }
}
