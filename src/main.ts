import 'reflect-metadata';
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { INestApplication, Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { AppConfig, isDevelopment } from './config/app-config.js';
import { ConfigError } from './config/config.error.js';
import { loadAppConfig } from './app.config.js';
import { HeapGrowthPolicy } from './heap-growth.js';
import { INTEGRATION_MODULES } from './integrations/index.js';
import { DuplicateSubscriberError } from './platform/bus/subscriber-registry.service.js';

/**
 * `--default-app-env=<name>`: the APP_ENV to use when the environment has none. `npm start`
 * passes `development`; `node dist/main.js` as deployed passes nothing and gets production.
 */
function defaultEnvFromArguments(): string | undefined {
  const flag = process.argv.slice(2).find((arg) => arg.startsWith('--default-app-env='));
  return flag?.slice('--default-app-env='.length) || undefined;
}

/**
 * `--role api|worker|all` (or `--role=…`): wins over ROLE, through the same validation. An
 * argument without a value is kept as given so that validation names it.
 */
function environmentWithRole(): NodeJS.ProcessEnv {
  const args = process.argv.slice(2);
  const i = args.findIndex((arg) => arg === '--role' || arg.startsWith('--role='));
  if (i < 0) return process.env;
  const role = args[i].startsWith('--role=') ? args[i].slice('--role='.length) : (args[i + 1] ?? '');
  return { ...process.env, ROLE: role || '(empty)' };
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/** A listen error as one line naming the port; undefined for errors that are not about it. */
function portProblem(error: NodeJS.ErrnoException, port: number): string | undefined {
  if (error.code === 'EADDRINUSE')
    return `port ${port} is already in use: stop the process holding it, or set PORT (server.port) to another port`;
  if (error.code === 'EACCES')
    return `port ${port} needs privileges this process lacks: set PORT (server.port) above 1023`;
  return undefined;
}

/** Fails fast, before the store is opened or migrated, when the port cannot be had. */
async function checkPort(port: number): Promise<void> {
  if (port === 0) return;
  const problem = await new Promise<string | undefined>((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(portProblem(error, port) ?? error.message));
    probe.listen(port, () => probe.close(() => resolve(undefined)));
  });
  if (problem) fail(problem);
}

async function main(): Promise<void> {
  const heap = HeapGrowthPolicy.forProcess();
  let config: AppConfig;
  try {
    config = loadAppConfig({ defaultEnv: defaultEnvFromArguments(), env: environmentWithRole() });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(error.message);
  }
  await checkPort(config.server.port);
  let app: INestApplication;
  try {
    app = await createApp(config, INTEGRATION_MODULES);
    handleSignals(app, config.server.shutdownTimeoutMs);
    await app.listen(config.server.port);
    heap?.followDeliveries(app);
  } catch (error) {
    // Routes checked against the subscribers at start, or two subscribers with one id.
    if (error instanceof ConfigError || error instanceof DuplicateSubscriberError) fail(error.message);
    const problem = portProblem(error as NodeJS.ErrnoException, config.server.port);
    if (problem) fail(problem);
    throw error;
  }

  const logger = new Logger('Switchyard');
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  for (const source of Object.values(config.sources)) {
    logger.log(
      `source '${source.name}' (${source.scheme}, ${source.mode}, ${source.keys.length} key(s)): POST ${url}/webhooks/${source.name}`,
    );
    if (source.generatedKeyFile) {
      logger.warn(
        `development signing key for '${source.name}': ${source.keys[0]} (kept in ${source.generatedKeyFile}). ` +
          `Send a signed sample with: npx switchyard send message.created --source ${source.name}. ` +
          `Set WHIPPY_SIGNING_KEYS to the API key that signs your Whippy application's webhooks.`,
      );
    }
  }
  if (isDevelopment(config) && !config.admin.token) {
    logger.warn('ADMIN_TOKEN is not set: /admin is open to loopback clients only (development)');
  } else if (!config.admin.enabled) {
    logger.log('ADMIN_TOKEN is not set: /admin is off');
  }
  logger.log(`Switchyard listening on ${url} (APP_ENV=${config.env}), role ${config.server.role}`);
}

/**
 * SIGTERM/SIGINT: stop accepting, let requests in flight finish, then close the app (the
 * delivery engine stops, the StoreWriter commits what it holds) and exit 0, all within
 * `shutdownTimeoutMs` whatever clients do. A client still sending when the store's share of
 * the time begins is cut off; its request was never acknowledged, so Whippy retries it.
 */
function handleSignals(app: INestApplication, shutdownTimeoutMs: number): void {
  let stopping = false;
  const storeShareMs = Math.min(3000, shutdownTimeoutMs / 2);
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const logger = new Logger('Switchyard');
    logger.log(`${signal}: stopping (at most ${shutdownTimeoutMs / 1000} s)`);
    setTimeout(() => {
      process.stderr.write(`shutdown did not finish within ${shutdownTimeoutMs / 1000} s; exiting\n`);
      process.exit(1);
    }, shutdownTimeoutMs).unref();

    const server = app.getHttpServer() as Server;
    // A keep-alive client is told to go with its next answer.
    server.prependListener('request', (_req, res) => res.setHeader('connection', 'close'));
    const cutOff = setTimeout(() => server.closeAllConnections(), shutdownTimeoutMs - storeShareMs);
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    });
    clearTimeout(cutOff);
    try {
      await app.close();
    } catch (error) {
      process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
      process.exit(1);
    }
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
}

void main();
