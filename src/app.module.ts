import { DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { EventEmitterModule } from '@nestjs/event-emitter';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import type { AppConfig } from './config/app-config.js';
import { AdminModule } from './platform/admin/admin.module.js';
import { BusModule } from './platform/bus/bus.module.js';
import { InboxModule } from './platform/inbox/inbox.module.js';
import { StoreModule } from './platform/store/store.module.js';
import { httpLogOptions, logDestination } from './platform/observability/http-log.options.js';
import { ObservabilityModule } from './platform/observability/observability.module.js';
import { WebhooksModule } from './platform/webhooks/webhooks.module.js';

/**
 * The platform, built from a configuration that has already been validated, plus the modules
 * given: main.ts passes the company's (src/integrations/index.ts), a test only its own.
 */
@Module({})
export class AppModule {
  /**
   * @param modules the integration modules to run in this process (the company's, a test's,
   *   a benchmark's probes); their `@OnWhippyEvent` methods are discovered like any other.
   * @param logOutput where log lines go instead of stdout (tests read them from it).
   */
  static forRoot(
    config: AppConfig,
    modules: DynamicModule['imports'] = [],
    logOutput?: DestinationStream,
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        // No routes: nestjs-pino's own middleware keeps a request-scoped context that nothing
        // reads; RequestLog logs requests instead.
        LoggerModule.forRoot({
          pinoHttp: [httpLogOptions(config), logDestination(config, logOutput)],
          forRoutes: [],
        }),
        EventEmitterModule.forRoot(),
        StoreModule,
        InboxModule,
        WebhooksModule,
        BusModule,
        AdminModule,
        ObservabilityModule,
        ...modules,
      ],
    };
  }
}
