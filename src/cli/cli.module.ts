import { Module } from '@nestjs/common';
import { CatalogCommand } from './catalog.command.js';
import { MigrateCommand } from './migrate.command.js';
import {
  BackfillCommand,
  RedriveCommand,
  ReplayCommand,
  RetryCommand,
  RoutesCommand,
} from './repair.commands.js';
import { SendCommand } from './send.command.js';

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
  ],
})
export class CliModule {}
