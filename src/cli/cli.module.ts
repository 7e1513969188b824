import { Module } from '@nestjs/common';
import { CatalogCommand } from './catalog.command.js';
import { DoctorCommand } from './doctor.command.js';
import { MigrateCommand } from './migrate.command.js';
import { BackfillCommand, RedriveCommand, ReplayCommand, RetryCommand } from './repair.commands.js';
import { RoutesCommand } from './routes.command.js';
import { SendCommand } from './send.command.js';
import { SyncEndpointCommand, WhippyCommand } from './whippy.commands.js';

/**
 * The commands of `switchyard`; deliberately without the HTTP application and its modules
 * (`catalog` builds its own application context, on a throwaway store).
 */
@Module({
  providers: [
    SendCommand,
    MigrateCommand,
    RoutesCommand,
    ReplayCommand,
    RetryCommand,
    RedriveCommand,
    BackfillCommand,
    CatalogCommand,
    DoctorCommand,
    WhippyCommand,
    SyncEndpointCommand,
  ],
})
export class CliModule {}
