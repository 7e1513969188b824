import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../app.module.js';
import { loadAppConfig } from '../app.config.js';
import type { AppConfig } from '../config/app-config.js';
import { DeliveryEngine } from '../platform/bus/delivery-engine.service.js';
import type { RouteTable } from '../platform/bus/route-table.js';

export interface OfflineRoutes {
  config: AppConfig;
  table: RouteTable;
  close(): Promise<void>;
}

/**
 * The routing table of an environment as the service would build it at start, without the
 * service: the same modules discover the same subscribers and check them against the same
 * configuration. The store is a scratch SQLite file in a temporary folder, so nothing real
 * (DATA_DIR, DATABASE_URL) is opened or written, and nothing is delivered.
 */
export async function loadOfflineRoutes(appEnv?: string): Promise<OfflineRoutes> {
  const env = appEnv === undefined ? process.env : { ...process.env, APP_ENV: appEnv };
  const loaded = loadAppConfig({ env, requireSigningKeys: false });
  const scratch = mkdtempSync(join(tmpdir(), 'switchyard-routes-'));
  const config: AppConfig = {
    ...loaded,
    store: { dataDir: scratch },
    log: { ...loaded.log, level: 'silent' },
  };
  let app: INestApplicationContext | undefined;
  try {
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), {
      logger: false,
      abortOnError: false,
    });
    await app.init();
  } catch (error) {
    await app?.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }
  const context = app;
  return {
    config: loaded,
    table: context.get(DeliveryEngine).routeTable,
    async close() {
      await context.close();
      rmSync(scratch, { recursive: true, force: true });
    },
  };
}
