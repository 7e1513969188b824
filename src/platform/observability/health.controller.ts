import { Controller, Get } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Inbox } from '../inbox/inbox.service.js';
import { StoreWriter } from '../store/store-writer.service.js';
import { BullmqDeliveryQueue } from '../bus/queue/bullmq-delivery-queue.js';
import type { AppConfig } from '../../config/app-config.js';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly inbox: Inbox,
    private readonly writer: StoreWriter,
    private readonly queue: BullmqDeliveryQueue,
    private readonly config: ConfigService<AppConfig, true>,
  ) {}

  /** The process answers. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * The store answers a query and accepts writes (the StoreWriter's last commit or probe
   * succeeded); 503 otherwise, as webhooks answer 503 meanwhile. With REDIS_URL, `queue`
   * says whether Redis answers: a worker without it is not ready; an api still is (events are
   * stored and acknowledged, and queued when Redis is back), and says so.
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
      ...(this.queue.active ? [() => this.queueCheck()] : []),
    ]);
  }

  private async queueCheck() {
    const queue = this.indicator.check('queue');
    try {
      await this.queue.ping();
      return queue.up({ kind: 'bullmq' });
    } catch (error) {
      const message = `Redis is unreachable: ${(error as Error).message}`;
      if (this.config.get('server', { infer: true }).role === 'worker') return queue.down({ message });
      return queue.up({
        kind: 'bullmq',
        reachable: false,
        message: `${message}; events are stored and queued when it is back`,
      });
    }
  }
}
