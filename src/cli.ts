import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { CommandFactory } from 'nest-commander';
import { ConfigError } from './config/config.error.js';
import { CliError } from './cli/cli.error.js';
import { CliModule } from './cli/cli.module.js';

// The CLI is the quick start's companion (`npx switchyard send …` beside `npm start`): like
// `npm start`, and unlike the deployed service, it defaults APP_ENV to development.
process.env.APP_ENV ||= 'development';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Errors a user can act on are one message; anything else keeps its stack. */
function report(error: Error): void {
  const known = error instanceof CliError || error instanceof ConfigError;
  process.stderr.write(known ? `switchyard: ${error.message}\n` : `${error.stack ?? String(error)}\n`);
  process.exitCode = 1;
}

await CommandFactory.run(CliModule, {
  // Nest's bootstrap lines would drown the commands' output; errors still show.
  logger: ['error'],
  // A failed bootstrap throws instead of aborting the process with a core dump.
  abortOnError: false,
  version,
  serviceErrorHandler: report,
});
// A command is done when it returns. A start that failed half way (a broken route stops the
// application context a command builds) can leave a store thread behind; the CLI must not wait
// for it. Output written to a pipe or file is already flushed: those writes are synchronous.
process.exit();
