import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Inbox } from '../inbox/inbox.service.js';
import { StoreWriter } from '../inbox/store-writer.service.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly inbox: Inbox,
    private readonly writer: StoreWriter,
  ) {}

  /** The process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * The store answers a query and accepts writes (the StoreWriter's last commit or probe
   * succeeded); 503 otherwise, as webhooks answer 503 meanwhile.
   */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      async () => {
        const store = this.indicator.check('store');
        if (!this.writer.writable) {
          return store.down({ message: `the store refuses writes: ${this.writer.unwritableReason}` });
        }
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
