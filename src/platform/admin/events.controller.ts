import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { DeliveryRepository, toView } from '../bus/delivery.repository.js';
import { Inbox } from '../inbox/inbox.service.js';
import { VerificationDiagnostics } from '../webhooks/verification-diagnostics.service.js';
import { parseLimit, parseTime } from './admin-query.js';
import { AdminGuard } from './admin.guard.js';

@Controller('admin/api')
@UseGuards(AdminGuard)
export class EventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly diagnostics: VerificationDiagnostics,
    private readonly deliveries: DeliveryRepository,
  ) {}

  /** Newest first; pass `nextCursor` back as `cursor` for the next page. */
  @Get('events')
  async list(
    @Query('source') source?: string,
    @Query('type') type?: string,
    @Query('status') status?: string,
    @Query('since') since?: string,
    @Query('until') until?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
    @Query('contact') contact?: string,
  ) {
    const pageSize = parseLimit(limit);
    const items = await this.inbox.list({
      source,
      type,
      status,
      since: parseTime('since', since),
      until: parseTime('until', until),
      before: cursor || undefined,
      contact: contact || undefined,
      limit: pageSize + 1,
    });
    const more = items.length > pageSize;
    const page = more ? items.slice(0, pageSize) : items;
    return { items: page, nextCursor: more ? page[page.length - 1].id : null };
  }

  @Get('events/:id')
  async get(@Param('id') id: string) {
    const event = await this.inbox.get(id);
    if (!event) throw new NotFoundException({ error: 'not_found', message: `no event ${id}` });
    const { rawBody, ...rest } = event;
    const deliveries = (await this.deliveries.ofEvent(id)).map(toView);
    return { ...rest, rawBody: rawBody.toString('utf8'), deliveries };
  }

  @Get('verification-failures')
  failures(@Query('source') source?: string, @Query('limit') limit?: string) {
    return { items: this.diagnostics.list({ source, limit: parseLimit(limit) }) };
  }
}
