import { Module } from '@nestjs/common';
import { BusModule, ModuleStore } from '../../platform/bus/index.js';
import { AtsSettings, atsSettings, BULLHORN_MODULE } from './ats.settings.js';
import { BullhornLogin } from './bullhorn-login.js';
import { BullhornNotes } from './bullhorn-notes.subscriber.js';
import { BullhornOptOut } from './bullhorn-opt-out.subscriber.js';
import { BullhornClient } from './bullhorn.client.js';
import { CandidateFinder } from './candidate-finder.js';

/**
 * The ATS: Whippy conversations on Bullhorn candidates (`ats.bullhorn.notes`) and SMS
 * opt-outs on their records (`ats.bullhorn.opt-out`). Off until BULLHORN_CLIENT_ID,
 * BULLHORN_CLIENT_SECRET and BULLHORN_REFRESH_TOKEN are set.
 */
@Module({
  imports: [BusModule],
  providers: [
    atsSettings.provider,
    {
      provide: BullhornClient,
      inject: [AtsSettings, ModuleStore],
      useFactory: (settings: AtsSettings, store: ModuleStore) =>
        new BullhornClient(
          new BullhornLogin(settings.bullhorn, store.scope(BULLHORN_MODULE)),
          settings.bullhorn.timeoutMs,
        ),
    },
    {
      provide: CandidateFinder,
      inject: [BullhornClient],
      useFactory: (client: BullhornClient) => new CandidateFinder(client),
    },
    BullhornNotes,
    BullhornOptOut,
  ],
})
export class AtsModule {}
