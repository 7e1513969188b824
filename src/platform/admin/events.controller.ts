import { Controller, Get, NotFoundException, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeliveryEngine } from '../bus/delivery-engine.service.js';
import { DeliveryReadsRepository } from '../store/delivery-reads.repository.js';
import { Inbox } from '../inbox/inbox.service.js';
import { VerificationDiagnostics } from '../webhooks/verification-diagnostics.service.js';
import { AdminGuard } from './admin.guard.js';
import { StoredIdPipe } from './stored-id.pipe.js';
import { DEFAULT_PAGE_SIZE } from './dto/admin-fields.js';
import { EventListQuery, FailureListQuery } from './dto/event-query.dto.js';
import { paginate } from './dto/page.dto.js';

@ApiTags('events')
@ApiBearerAuth()
@Controller('admin/api')
@UseGuards(AdminGuard)
export class EventsController {
  constructor(
    private readonly inbox: Inbox,
    private readonly diagnostics: VerificationDiagnostics,
    private readonly deliveries: DeliveryReadsRepository,
    private readonly engine: DeliveryEngine,
  ) {}

  @ApiOperation({ summary: 'stored events, newest first; pass nextCursor back as cursor' })
  @Get('events')
  list(@Query() query: EventListQuery) {
    return paginate(
      query,
      (page) =>
        this.inbox.list({
          source: query.source,
          type: query.type,
          status: query.status,
          since: query.since,
          until: query.until,
          contact: query.contact,
          ...page,
        }),
      (events) => events,
    );
  }

  @ApiOperation({
    summary: 'one event: raw body, headers, verification and deliveries with their attempt history',
  })
  @Get('events/:id')
  async get(@Param('id', new StoredIdPipe('event')) id: string) {
    const event = await this.inbox.get(id);
    if (!event) throw new NotFoundException({ error: 'not_found', message: `no event ${id}` });
    const { rawBody, ...rest } = event;
    const deliveries = await this.engine.detailed(await this.deliveries.ofEvent(id));
    return { ...rest, rawBody: rawBody.toString('utf8'), deliveries };
  }

  @ApiOperation({ summary: 'requests that failed signature verification, newest first' })
  @Get('verification-failures')
  failures(@Query() query: FailureListQuery) {
    return {
      items: this.diagnostics.list({ source: query.source, limit: query.limit ?? DEFAULT_PAGE_SIZE }),
    };
  }
}
