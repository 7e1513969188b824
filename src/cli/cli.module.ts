import { Module } from '@nestjs/common';
import { DoctorCommand } from './doctor.command.js';
import { MigrateCommand } from './migrate.command.js';
import {
  BackfillCommand,
  RedriveCommand,
  ReplayCommand,
  RetryCommand,
  RoutesCommand,
} from './repair.commands.js';
import { SendCommand } from './send.command.js';
import { SyncEndpointCommand, WhippyCommand } from './whippy.commands.js';

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
    DoctorCommand,
    WhippyCommand,
    SyncEndpointCommand,
  ],
})
export class CliModule {}
