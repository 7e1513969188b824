import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AppConfig, isDevelopment, SourceConfig } from './app-config.js';

/** Where a development key of a source is kept, so that restarts and the CLI agree on it. */
export const developmentKeyFile = (dataDir: string, source: string): string =>
  resolve(dataDir, `signing-key.${source}`);

/**
 * In development a source without keys gets a random key, generated once and kept in
 * DATA_DIR. Every other APP_ENV has already been refused by validation.
 */
export function ensureDevelopmentKeys(config: AppConfig): void {
  if (!isDevelopment(config)) return;
  for (const source of Object.values(config.sources)) {
    if (source.keys.length > 0) continue;
    const file = developmentKeyFile(config.store.dataDir, source.name);
    if (!existsSync(file)) {
      if (!existsSync(config.store.dataDir)) {
        mkdirSync(config.store.dataDir, { recursive: true });
        chmodSync(config.store.dataDir, 0o700);
      }
      writeFileSync(file, `${newKey(source)}\n`, { mode: 0o600 });
    }
    source.keys = [readFileSync(file, 'utf8').trim()];
    source.generatedKeyFile = file;
  }
}

const newKey = (source: SourceConfig): string =>
  source.scheme === 'standard-webhooks'
    ? `whsec_${randomBytes(24).toString('base64')}`
    : `dev_${randomBytes(24).toString('base64url')}`;
