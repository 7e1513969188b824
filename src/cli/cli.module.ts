import { Module } from '@nestjs/common';
import { MigrateCommand } from './migrate.command.js';
import { BackfillCommand, RedriveCommand, ReplayCommand, RetryCommand } from './repair.commands.js';
import { RoutesCommand } from './routes.command.js';
import { SendCommand } from './send.command.js';

/** The commands of `switchyard`; deliberately without the HTTP application and its modules. */
@Module({
  providers: [
    SendCommand,
    MigrateCommand,
    RoutesCommand,
    ReplayCommand,
    RetryCommand,
    RedriveCommand,
    BackfillCommand,
  ],
})
export class CliModule {}
