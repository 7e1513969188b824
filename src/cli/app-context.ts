import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import type { AppConfig } from '../config/app-config.js';

/**
 * Boots the application's modules without HTTP, over a throwaway embedded store, so a command
 * can read what the code and the configuration declare (subscribers, routes) without touching
 * the real store or running a delivery.
 */
export async function withAppContext<T>(
  config: AppConfig,
  work: (context: INestApplicationContext) => Promise<T>,
): Promise<T> {
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  const context = await NestFactory.createApplicationContext(
    AppModule.forRoot({ ...config, store: { dataDir, databaseUrl: undefined } }),
    { logger: ['error'], abortOnError: false },
  );
  try {
    return await work(context);
  } finally {
    await context.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
