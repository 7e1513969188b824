import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Inbox } from '../inbox/inbox.service.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly inbox: Inbox,
  ) {}

  /** The process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /** The store answers a query; 503 otherwise. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const store = this.indicator.check('store');
        try {
          await this.inbox.ping();
          return store.up();
        } catch (error) {
          return store.down({ message: (error as Error).message });
        }
      },
    ]);
  }
}
