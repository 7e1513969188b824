import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import type { AppConfig } from './config/app-config.js';
import { INTEGRATION_MODULES } from './integrations/index.js';
import { AdminModule } from './platform/admin/admin.module.js';
import { BusModule } from './platform/bus/bus.module.js';
import { InboxModule } from './platform/inbox/inbox.module.js';
import { httpLogOptions } from './platform/observability/http-log.options.js';
import { ObservabilityModule } from './platform/observability/observability.module.js';
import { WebhooksModule } from './platform/webhooks/webhooks.module.js';

/** The whole service, built from a configuration that has already been validated. */
@Module({})
export class AppModule {
  /**
   * @param modules more modules to run in the same process (a company's own, or a
   *   benchmark's probes); their `@OnWhippyEvent` methods are discovered like any other.
   */
  static forRoot(config: AppConfig, modules: DynamicModule['imports'] = []): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        LoggerModule.forRoot({ pinoHttp: httpLogOptions(config) }),
        EventEmitterModule.forRoot(),
        InboxModule,
        WebhooksModule,
        BusModule,
        ...INTEGRATION_MODULES,
        AdminModule,
        ObservabilityModule,
        ...modules,
      ],
    };
  }
}
