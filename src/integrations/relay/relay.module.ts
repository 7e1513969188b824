import { Module } from '@nestjs/common';
import { BusModule } from '../../platform/bus/index.js';
import { relaySettings } from './relay.config.js';
import { RelaySubscribers } from './relay.subscribers.js';

/**
 * Forwards events to a company's own HTTP services, one subscriber `relay.<name>` per target
 * of the `relay:` section, each POST signed the Standard Webhooks way.
 */
@Module({
  imports: [BusModule],
  providers: [relaySettings.provider, RelaySubscribers],
})
export class RelayModule {}
