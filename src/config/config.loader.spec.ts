import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error.js';
import { loadAppConfig } from '../app.config.js';
import { loadConfig as loadPlatformConfig, type LoadConfigOptions } from './config.loader.js';

/** config/default.yaml holds the company's modules' sections too: read it with their settings. */
const loadConfig = (options: LoadConfigOptions) => loadAppConfig(options);

const DEFAULT_YAML = readFileSync('config/default.yaml', 'utf8');

function configDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-config-'));
  writeFileSync(join(dir, 'default.yaml'), DEFAULT_YAML);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

const dataDir = () => mkdtempSync(join(tmpdir(), 'switchyard-data-'));

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe(loadPlatformConfig.name, () => {
  it('refuses to start outside development without WHIPPY_SIGNING_KEYS, naming the variable', () => {
    const error = errorOf(() =>
      loadConfig({ configDir: configDir({}), env: { APP_ENV: 'production', DATA_DIR: dataDir() } }),
    );
    expect(error.message).toContain('APP_ENV=production');
    expect(error.message).toMatch(/sources\.whippy\.keys: no signing key; set WHIPPY_SIGNING_KEYS/);
  });

  it('generates a development key once, keeps it in DATA_DIR and reuses it', () => {
    // A folder the loader creates (mkdtemp's own are 0700 already).
    const data = join(dataDir(), 'data');
    const first = loadConfig({ configDir: configDir({}), env: { APP_ENV: 'development', DATA_DIR: data } });
    const source = first.sources.whippy;
    expect(source.keys).toHaveLength(1);
    expect(source.generatedKeyFile).toBe(join(data, 'signing-key.whippy'));
    expect(existsSync(source.generatedKeyFile!)).toBe(true);
    // Only its owner reads the key, and only its owner opens the folder.
    expect(statSync(source.generatedKeyFile!).mode & 0o777).toBe(0o600);
    expect(statSync(data).mode & 0o777).toBe(0o700);
    const again = loadConfig({ configDir: configDir({}), env: { APP_ENV: 'development', DATA_DIR: data } });
    expect(again.sources.whippy.keys).toEqual(source.keys);
  });

  it('applies production rules when APP_ENV is unset, unless the caller defaults it', () => {
    const error = errorOf(() => loadConfig({ configDir: configDir({}), env: { DATA_DIR: dataDir() } }));
    expect(error.message).toContain('APP_ENV=production');
    expect(error.message).toContain('set WHIPPY_SIGNING_KEYS');
    const started = loadConfig({
      configDir: configDir({}),
      env: { DATA_DIR: dataDir() },
      defaultEnv: 'development',
    });
    expect(started.env).toBe('development');
    // An APP_ENV in the environment always wins over the caller's default.
    const given = loadConfig({
      configDir: configDir({}),
      env: { APP_ENV: 'staging', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() },
      defaultEnv: 'development',
    });
    expect(given.env).toBe('staging');
  });

  it('reads a comma-separated key ring, first key current', () => {
    const config = loadConfig({
      configDir: configDir({}),
      env: { APP_ENV: 'production', WHIPPY_SIGNING_KEYS: ' new-key , old-key ', DATA_DIR: dataDir() },
    });
    expect(config.sources.whippy.keys).toEqual(['new-key', 'old-key']);
    expect(config.sources.whippy.generatedKeyFile).toBeUndefined();
  });

  it('merges config/<APP_ENV>.yaml over default.yaml, and the fixed variables over both', () => {
    const dir = configDir({
      'staging.yaml': 'server:\n  port: 4000\n  bodyLimit: 256kb\nlog:\n  level: debug\n',
    });
    const base = { APP_ENV: 'staging', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() };
    const staging = loadConfig({ configDir: dir, env: base });
    expect(staging.server).toMatchObject({
      port: 4000,
      bodyLimitBytes: 256 * 1024,
      shutdownTimeoutMs: 10_000,
    });
    expect(staging.log.level).toBe('debug');
    expect(staging.sources.whippy.toleranceSeconds).toBe(300);
    const overridden = loadConfig({ configDir: dir, env: { ...base, PORT: '5000', LOG_LEVEL: 'warn' } });
    expect(overridden.server.port).toBe(5000);
    expect(overridden.log.level).toBe('warn');
  });

  it('substitutes ${VAR} and ${VAR:-default} in YAML values', () => {
    const dir = configDir({
      'test.yaml':
        'sources:\n  extra:\n    keys: ${EXTRA_KEYS}\n    toleranceSeconds: ${EXTRA_TOLERANCE:-60}\n',
    });
    const config = loadConfig({
      configDir: dir,
      env: { APP_ENV: 'test', WHIPPY_SIGNING_KEYS: 'k', EXTRA_KEYS: 'a,b', DATA_DIR: dataDir() },
    });
    expect(config.sources.extra).toMatchObject({ keys: ['a', 'b'], toleranceSeconds: 60, scheme: 'whippy' });
  });

  it('a missing <APP_ENV>.yaml is fine', () => {
    const config = loadConfig({
      configDir: configDir({}),
      env: { APP_ENV: 'nowhere', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() },
    });
    expect(config.env).toBe('nowhere');
  });

  it.each([
    ['server:\n  port: eighty\n', 'server.port: must be a whole number from 0 to 65535, got "eighty"'],
    ['server:\n  bodyLimit: huge\n', 'server.bodyLimit: must be a size'],
    [
      'sources:\n  whippy:\n    scheme: rot13\n',
      'sources.whippy.scheme: must be one of whippy, standard-webhooks, hmac, got "rot13"',
    ],
    [
      'sources:\n  whippy:\n    mode: sleeping\n',
      'sources.whippy.mode: must be one of active, paused, disabled',
    ],
    ['sources:\n  whippy:\n    tolerance: 10\n', 'sources.whippy.tolerance: unknown setting'],
    [
      'sources:\n  whippy:\n    toleranceSeconds: -1\n',
      'sources.whippy.toleranceSeconds: must be a whole number',
    ],
    [
      'sources:\n  svix:\n    scheme: standard-webhooks\n    keys: [plain]\n',
      'sources.svix.keys[0]: a standard-webhooks key looks like whsec_',
    ],
    [
      'sources:\n  custom:\n    scheme: hmac\n    keys: [k]\n',
      'sources.custom.hmac.header: the hmac scheme needs the name of the signature header',
    ],
    [
      'sources:\n  custom:\n    scheme: hmac\n    keys: [k]\n    hmac:\n      header: x-sig\n      template: "{timestamp}.{body}"\n',
      'sources.custom.hmac.timestampHeader: needed when the template signs {timestamp}',
    ],
    ['sources:\n  Bad Name:\n    keys: [k]\n', 'sources.Bad Name: a source name may hold'],
    ['store:\n  databaseUrl: mysql://x\n', 'store.databaseUrl: must be a postgres:// URL'],
    ['log:\n  level: loud\n', 'log.level: must be one of'],
    ['colour: blue\n', '(top level).colour: unknown setting'],
    [
      'diagnostics:\n  silenceMinutes: soon\n',
      'diagnostics.silenceMinutes: must be a number from 0.01 to 525600, got "soon"',
    ],
    ['diagnostics:\n  silenceMinutes: 0\n', 'diagnostics.silenceMinutes: must be a number from 0.01'],
    ['server:\n  publicUrl: hooks.example.com\n', 'server.publicUrl (PUBLIC_URL): must be an http(s) URL'],
    ['whippyApi:\n  baseUrl: ftp://x\n', 'whippyApi.baseUrl: must be an http(s) URL'],
    [
      'sources:\n  whippy:\n    keys: [k]\n    retiredKeys: [k]\n',
      'sources.whippy.retiredKeys[0]: is also in keys',
    ],
  ])('names the path and the problem: %j', (yaml, message) => {
    const error = errorOf(() =>
      loadConfig({
        configDir: configDir({ 'test.yaml': yaml }),
        env: { APP_ENV: 'test', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() },
      }),
    );
    expect(error.message).toContain(message);
  });

  it('lists every problem at once', () => {
    const error = errorOf(() =>
      loadConfig({
        configDir: configDir({ 'test.yaml': 'server:\n  port: x\nlog:\n  level: loud\n' }),
        env: { APP_ENV: 'test', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() },
      }),
    );
    expect(error.issues).toHaveLength(2);
  });

  it('reads retention with its defaults, and names a bad retention setting', () => {
    const env = { APP_ENV: 'test', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() };
    expect(loadConfig({ configDir: configDir({}), env }).retention).toEqual({
      enabled: true,
      days: 30,
      deadDays: 90,
      intervalMinutes: 5,
      batchSize: 500,
    });
    const error = errorOf(() =>
      loadConfig({
        configDir: configDir({ 'test.yaml': 'retention:\n  days: -1\n  batchSize: 0\n  keep: forever\n' }),
        env,
      }),
    );
    expect(error.issues).toEqual([
      expect.stringContaining('retention.keep: unknown setting'),
      expect.stringContaining('retention.days: must be a number'),
      expect.stringContaining('retention.batchSize: must be'),
    ]);
  });

  it('names the file and the line of a YAML syntax error', () => {
    const dir = configDir({ 'test.yaml': 'server:\n  port: [1, 2\n' });
    const error = errorOf(() =>
      loadConfig({ configDir: dir, env: { APP_ENV: 'test', WHIPPY_SIGNING_KEYS: 'k', DATA_DIR: dataDir() } }),
    );
    expect(error.message).toContain(join(dir, 'test.yaml'));
    expect(error.message).toMatch(/line \d+/);
  });

  it('reads ROLE and REDIS_URL, and refuses a role or a Redis URL it does not know', () => {
    const env = { APP_ENV: 'development', DATA_DIR: dataDir() };
    const config = loadConfig({
      configDir: configDir({}),
      env: { ...env, ROLE: 'worker', REDIS_URL: 'redis://127.0.0.1:6379' },
    });
    expect(config.server.role).toBe('worker');
    expect(config.queue.redisUrl).toBe('redis://127.0.0.1:6379');
    expect(loadConfig({ configDir: configDir({}), env }).server.role).toBe('all');
    const error = errorOf(() =>
      loadConfig({
        configDir: configDir({}),
        env: { ...env, ROLE: 'broker', REDIS_URL: 'http://cache:6379' },
      }),
    );
    expect(error.message).toContain(
      'server.role (ROLE or --role): must be one of api, worker, all, got "broker"',
    );
    expect(error.message).toContain('queue.redisUrl: must be a redis:// or rediss:// URL (REDIS_URL)');
  });
});
