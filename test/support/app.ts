import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamicModule, INestApplication, Type } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import { APP_OPTIONS, configureApp } from '../../src/app.factory.js';
import { AppModule } from '../../src/app.module.js';
import type { AppConfig } from '../../src/config/app-config.js';
import type { ConfigSection } from '../../src/config/config-reader.js';
import { loadAppConfig } from '../../src/app.config.js';
import { envelope } from './events.js';
import { whippySignature } from './sign.js';

export const ADMIN_TOKEN = 'test-admin-token';
export const WHIPPY_KEY = 'test_whippy_api_key_0001';

export interface TestApp {
  app: INestApplication;
  config: AppConfig;
  dataDir: string;
  http: ReturnType<typeof supertest>;
  /** An admin GET with the bearer token. */
  admin(path: string): supertest.Test;
  /** An admin POST with the bearer token. */
  adminPost(path: string, body?: object): supertest.Test;
  /** A signed webhook to /webhooks/whippy; resolves with the stored event id. */
  ingest(type: string, data?: Record<string, unknown>): Promise<string>;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export function tempDir(prefix = 'switchyard-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestAppOptions {
  /**
   * The integration modules to run beside the platform: none for a platform test, the
   * module under test for a module's (`[CrmModule]`), probe modules for delivery tests.
   * The company's other modules are never booted, so adding one cannot break a test.
   */
  modules?: (Type | DynamicModule)[];
  /** Environment of the configuration (over APP_ENV=test, a fresh DATA_DIR, the test keys). */
  env?: Record<string, string | undefined>;
  /** YAML merged over config/default.yaml as `test.yaml`. */
  config?: string;
  /** A config folder of its own instead (default.yaml and `test.yaml`). */
  configDir?: string;
  dataDir?: string;
  /** Settings sections of modules that are not yet among the company's (src/integrations/index.ts). */
  settings?: ConfigSection[];
  /** Where the log lines go instead of stdout, to read them (`{ write: (line) => … }`). */
  logs?: DestinationStream;
}

/**
 * Boots the platform, plus `modules`, on a fresh data folder, the way main.ts does, minus
 * the port. Talk to it with `http`, `ingest` (a signed webhook) and `admin`.
 *
 * ```ts
 * const t = await createTestApp({ modules: [CrmModule], env: { HUBSPOT_TOKEN: 'pat-…' }, config: 'crm: …' });
 * await t.ingest('contact.created', { … });
 * ```
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dataDir = options.dataDir ?? tempDir();
  const config = loadAppConfig({
    env: {
      APP_ENV: 'test',
      DATA_DIR: dataDir,
      WHIPPY_SIGNING_KEYS: WHIPPY_KEY,
      ADMIN_TOKEN,
      // Tests provoke 4xx answers on purpose; their logs would bury real failures.
      LOG_LEVEL: 'error',
      ...options.env,
    },
    configDir: options.configDir ?? (options.config === undefined ? 'config' : configDirWith(options.config)),
    sections: options.settings,
  });
  const moduleRef = await Test.createTestingModule({
    imports: [AppModule.forRoot(config, options.modules ?? [], options.logs)],
  }).compile();
  const app = configureApp(moduleRef.createNestApplication(APP_OPTIONS));
  try {
    await app.init();
  } catch (error) {
    // A start stopped by its configuration still opened the store: close it for the next test.
    await app.close().catch(() => undefined);
    if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const http = supertest(app.getHttpServer());
  return {
    app,
    config,
    dataDir,
    http,
    admin: (path) => http.get(path).set('authorization', `Bearer ${ADMIN_TOKEN}`),
    adminPost: (path, body) =>
      http
        .post(path)
        .set('authorization', `Bearer ${ADMIN_TOKEN}`)
        .send(body ?? {}),
    async ingest(type, data) {
      const body = envelope(type, data);
      const res = await http
        .post('/webhooks/whippy')
        .set('content-type', 'application/json')
        .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
        .send(body)
        .expect(200);
      return res.body.id;
    },
    async close({ keepData = false } = {}) {
      await app.close();
      if (!keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The platform alone unless `modules` are given: {@link createTestApp}. */
export const startApp = createTestApp;

/** A config folder with the real default.yaml and the given YAML as `test.yaml` over it. */
export function configDirWith(testYaml: string): string {
  const dir = tempDir('switchyard-config-');
  copyFileSync('config/default.yaml', join(dir, 'default.yaml'));
  writeFileSync(join(dir, 'test.yaml'), testYaml);
  return dir;
}

/** Polls until `check` returns a value other than undefined/false; fails after `ms`. */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
