import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import type { AppConfig } from '../config/app-config.js';
import type { RouteTable } from '../platform/bus/route-table.js';

/**
 * The routing table as the service would build it at start, without the service: the
 * platform and the company's modules are created as an application context (no HTTP), so the
 * same subscribers are discovered and checked against the same configuration. The store is a
 * scratch SQLite folder, deleted afterwards: nothing real (DATA_DIR, DATABASE_URL) is opened
 * or written, and nothing is delivered. For `routes`, `catalog` and `whippy sync-endpoint`.
 */
export async function routeTableOf(config: AppConfig): Promise<RouteTable> {
  // Loaded here, not at the top: every other command would pay for importing the whole service.
  const [{ AppModule }, { INTEGRATION_MODULES }, { DeliveryEngine }] = await Promise.all([
    import('../app.module.js'),
    import('../integrations/index.js'),
    import('../platform/bus/delivery-engine.service.js'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'switchyard-cli-'));
  try {
    const context = await NestFactory.createApplicationContext(
      AppModule.forRoot(
        { ...config, store: { dataDir }, log: { ...config.log, level: 'silent' } },
        INTEGRATION_MODULES,
      ),
      { logger: false, abortOnError: false },
    );
    try {
      return context.get(DeliveryEngine).routeTable;
    } finally {
      await context.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
