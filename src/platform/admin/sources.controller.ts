import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Inbox } from '../inbox/inbox.service.js';
import { SourceRegistry } from '../webhooks/sources.service.js';
import { VerificationDiagnostics } from '../webhooks/verification-diagnostics.service.js';
import { AdminGuard } from './admin.guard.js';
import { EVENT_STATUSES } from './dto/event-query.dto.js';

/** Verification failures shown with each source. */
const RECENT_FAILURES = 10;

@ApiTags('sources')
@ApiBearerAuth()
@Controller('admin/api')
@UseGuards(AdminGuard)
export class SourcesController {
  constructor(
    private readonly sources: SourceRegistry,
    private readonly inbox: Inbox,
    private readonly diagnostics: VerificationDiagnostics,
  ) {}

  @ApiOperation({
    summary: 'each configured source: its last event, events by status, its recent verification failures',
  })
  @Get('sources')
  async list() {
    const counts = await this.inbox.countsBySource();
    return {
      items: this.sources.all().map(({ config }) => {
        const own = counts.filter((row) => row.source === config.name);
        return {
          name: config.name,
          scheme: config.scheme,
          mode: config.mode,
          lastEventAt: own.reduce<string | null>(
            (latest, row) => (latest === null || row.lastReceivedAt > latest ? row.lastReceivedAt : latest),
            null,
          ),
          counts: {
            ...Object.fromEntries(EVENT_STATUSES.map((status) => [status, 0])),
            ...Object.fromEntries(own.map((row) => [row.status, row.count])),
          },
          recentFailures: this.diagnostics.list({ source: config.name, limit: RECENT_FAILURES }),
        };
      }),
    };
  }
}
