import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { tempDir } from './app.js';
import type { External } from './external.js';

/** Debian's chromium (`npm run setup:browser`, or `.ci/run`); never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where the browser suites write their screenshots (gitignored). */
export const ARTIFACTS = 'test-artifacts';

export function chromiumAvailable(): External {
  if (existsSync(CHROMIUM)) return { available: true };
  const reason = `no chromium at ${CHROMIUM}; install it with npm run setup:browser`;
  if (!process.env.CI) process.stderr.write(`skipping browser suites: ${reason}\n`);
  return { available: false, reason };
}

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless chromium on a fresh profile that talks to nothing but the test's own server. */
export async function launchBrowser(): Promise<Browser> {
  const profile = tempDir('switchyard-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1280, height: 760 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export function artifactPath(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}
