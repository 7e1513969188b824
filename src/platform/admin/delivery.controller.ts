import {
  Body,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { DeliveryEngine } from '../bus/delivery-engine.service.js';
import { DeliveryRepairs } from '../bus/delivery-repairs.service.js';
import { DeliveriesRepository } from '../store/deliveries.repository.js';
import { DeliveryReadsRepository } from '../store/delivery-reads.repository.js';
import { AdminGuard } from './admin.guard.js';
import { StoredIdPipe } from './stored-id.pipe.js';
import { BackfillBody, DeliveryListQuery, ExplainBody, ReplayBody } from './dto/delivery.dto.js';
import { paginate } from './dto/page.dto.js';

/** Routes, explain, deliveries, and the repairs: replay, retry, redrive, backfill. */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('admin/api')
@UseGuards(AdminGuard)
export class DeliveryController {
  constructor(
    private readonly engine: DeliveryEngine,
    private readonly repairs: DeliveryRepairs,
    private readonly deliveries: DeliveriesRepository,
    private readonly reads: DeliveryReadsRepository,
  ) {}

  @ApiOperation({ summary: 'event type → subscribers with their filters, and every subscriber' })
  @Get('routes')
  routes() {
    const table = this.engine.routeTable;
    return { routes: table.table(), subscribers: table.subscribers() };
  }

  @ApiOperation({ summary: 'which subscribers a payload would reach, and why not the others' })
  @Post('routes/explain')
  @HttpCode(200)
  explain(@Body() body: ExplainBody) {
    return this.engine.routeTable.explain({
      type: body.event,
      source: body.source ?? 'whippy',
      data: body.data,
    });
  }

  @ApiOperation({ summary: 'deliver a stored event again' })
  @Post('events/:id/replay')
  @HttpCode(202)
  async replay(@Param('id', new StoredIdPipe('event')) id: string, @Body() body: ReplayBody) {
    return { deliveries: await this.repairs.replay(id, body.subscribers) };
  }

  @ApiOperation({ summary: 'deliveries, newest first; pass nextCursor back as cursor' })
  @Get('deliveries')
  list(@Query() query: DeliveryListQuery) {
    return paginate(
      query,
      (page) =>
        this.reads.list({
          status: query.status,
          subscriber: query.subscriber,
          eventId: query.event,
          ...page,
        }),
      (rows) => this.engine.views(rows),
    );
  }

  @ApiOperation({ summary: 'one delivery with its attempt history (the last 50, oldest first)' })
  @Get('deliveries/:id')
  async get(@Param('id', new StoredIdPipe('delivery')) id: string) {
    const row = await this.deliveries.get(id);
    if (!row) throw new NotFoundException({ error: 'not_found', message: `no delivery ${id}` });
    const [view] = await this.engine.detailed([row]);
    return view;
  }

  @ApiOperation({ summary: 'run a failed or dead delivery again now' })
  @Post('deliveries/:id/retry')
  @HttpCode(202)
  retry(@Param('id', new StoredIdPipe('delivery')) id: string) {
    return this.repairs.retry(id);
  }

  @ApiOperation({ summary: 'every dead delivery of the subscriber, again' })
  @Post('subscribers/:id/redrive')
  @HttpCode(202)
  redrive(@Param('id') id: string) {
    return this.repairs.redrive(id);
  }

  @ApiOperation({
    summary: 'deliver the stored events of a range the subscriber has not had (dry run by default)',
  })
  @Post('subscribers/:id/backfill')
  @HttpCode(200)
  backfill(@Param('id') id: string, @Body() body: BackfillBody) {
    return this.repairs.backfill(id, { since: body.since, until: body.until, dryRun: body.dryRun !== false });
  }
}
