import { Module } from '@nestjs/common';
import { MigrateCommand } from './migrate.command.js';
import { SendCommand } from './send.command.js';

/** The commands of `switchyard`; deliberately without the HTTP application and its modules. */
@Module({ providers: [SendCommand, MigrateCommand] })
export class CliModule {}
