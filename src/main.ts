import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { isDevelopment } from './config/app-config.js';
import { ConfigError } from './config/config.error.js';
import { loadAppConfig } from './app.config.js';
import { INTEGRATION_MODULES } from './integrations/index.js';
import { DuplicateSubscriberError } from './platform/bus/subscriber-registry.service.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAppConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  let app;
  try {
    app = await createApp(config, INTEGRATION_MODULES);
    await app.listen(config.server.port);
  } catch (error) {
    // Routes checked against the subscribers at start, or two subscribers with one id.
    if (!(error instanceof ConfigError || error instanceof DuplicateSubscriberError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
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
  logger.log(`Switchyard listening on ${url} (APP_ENV=${config.env})`);
}

void main();
