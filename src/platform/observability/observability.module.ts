import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { InboxModule } from '../inbox/inbox.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), InboxModule],
  controllers: [HealthController],
})
export class ObservabilityModule {}
