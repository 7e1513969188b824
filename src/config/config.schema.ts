import { AppConfig, HmacSchemeOptions, SchemeName, SourceConfig, SourceMode } from './app-config.js';
import { ConfigError } from './config.error.js';

const SCHEMES: SchemeName[] = ['whippy', 'standard-webhooks', 'hmac'];
const MODES: SourceMode[] = ['active', 'paused', 'disabled'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SECTIONS = ['server', 'store', 'sources', 'admin', 'diagnostics', 'log'];

type Tree = Record<string, unknown>;

/** Collects `path: problem` lines while reading a merged configuration tree. */
class Reader {
  readonly issues: string[] = [];

  problem(path: string, message: string): void {
    this.issues.push(`${path}: ${message}`);
  }

  section(value: unknown, path: string, allowed: string[]): Tree {
    if (value === undefined || value === null) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      this.problem(path, `must be a mapping, got ${describe(value)}`);
      return {};
    }
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key))
        this.problem(`${path}.${key}`, `unknown setting (known: ${allowed.join(', ')})`);
    }
    return value as Tree;
  }

  integer(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const n = typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.problem(path, `must be a whole number from ${min} to ${max}, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  string(value: unknown, path: string): string | undefined {
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (typeof value !== 'string') {
      this.problem(path, `must be text, got ${describe(value)}`);
      return undefined;
    }
    return value;
  }

  choice<T extends string>(value: unknown, path: string, choices: readonly T[], fallback: T): T {
    const text = this.string(value, path);
    if (text === undefined) return fallback;
    if (!choices.includes(text as T)) {
      this.problem(path, `must be one of ${choices.join(', ')}, got ${describe(value)}`);
      return fallback;
    }
    return text as T;
  }

  bytes(value: unknown, path: string, fallback: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const match = /^(\d+)\s*(b|kb|mb)?$/i.exec(String(value).trim());
    if (!match || (typeof value !== 'string' && typeof value !== 'number')) {
      this.problem(path, `must be a size such as 1mb, 512kb or 1048576, got ${describe(value)}`);
      return fallback;
    }
    const unit = { b: 1, kb: 1024, mb: 1024 * 1024 }[(match[2] ?? 'b').toLowerCase() as 'b' | 'kb' | 'mb'];
    return Number(match[1]) * unit;
  }
}

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'a list'
      : typeof value === 'object'
        ? 'a mapping'
        : JSON.stringify(value);

/** Turns the merged tree into a typed AppConfig, or throws a ConfigError naming each bad path. */
export function validateConfig(
  tree: Tree,
  appEnv: string,
  options: { requireSigningKeys: boolean } = { requireSigningKeys: true },
): AppConfig {
  const r = new Reader();
  const development = appEnv === 'development';
  r.section(tree, '(top level)', SECTIONS);

  const server = r.section(tree.server, 'server', ['port', 'bodyLimit']);
  const store = r.section(tree.store, 'store', ['dataDir', 'databaseUrl']);
  const admin = r.section(tree.admin, 'admin', ['token']);
  const diagnostics = r.section(tree.diagnostics, 'diagnostics', ['maxFailures']);
  const log = r.section(tree.log, 'log', ['level']);

  const databaseUrl = r.string(store.databaseUrl, 'store.databaseUrl');
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    r.problem(
      'store.databaseUrl',
      `must be a postgres:// URL (DATABASE_URL), got ${JSON.stringify(databaseUrl)}`,
    );
  }

  const sourcesTree = r.section(tree.sources, 'sources', Object.keys(tree.sources ?? {}));
  const sources: Record<string, SourceConfig> = {};
  for (const [name, value] of Object.entries(sourcesTree)) {
    const source = readSource(r, name, value, development || !options.requireSigningKeys);
    if (source) sources[name] = source;
  }
  if (Object.keys(sources).length === 0 && r.issues.length === 0) {
    r.problem('sources', 'at least one source is needed (the default is `whippy`)');
  }

  const token = r.string(admin.token, 'admin.token');
  const config: AppConfig = {
    env: appEnv,
    server: {
      port: r.integer(server.port, 'server.port', 3000, 0, 65535),
      bodyLimitBytes: r.bytes(server.bodyLimit, 'server.bodyLimit', 1024 * 1024),
    },
    store: { dataDir: r.string(store.dataDir, 'store.dataDir') ?? './data', databaseUrl },
    sources,
    admin: { token, enabled: Boolean(token) || development },
    diagnostics: {
      maxFailures: r.integer(diagnostics.maxFailures, 'diagnostics.maxFailures', 500, 0, 100_000),
    },
    log: { level: r.choice(log.level, 'log.level', LOG_LEVELS, 'info') },
  };
  if (r.issues.length) throw new ConfigError(appEnv, r.issues);
  return config;
}

function readSource(
  r: Reader,
  name: string,
  value: unknown,
  keysOptional: boolean,
): SourceConfig | undefined {
  const path = `sources.${name}`;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    r.problem(path, 'a source name may hold lower-case letters, digits, - and _ (it is part of the URL)');
  }
  const tree = r.section(value, path, ['scheme', 'keys', 'toleranceSeconds', 'mode', 'hmac']);
  const scheme = r.choice(tree.scheme, `${path}.scheme`, SCHEMES, 'whippy');
  const mode = r.choice(tree.mode, `${path}.mode`, MODES, 'active');
  const keys = readKeys(r, tree.keys, `${path}.keys`);
  if (keys.length === 0 && !keysOptional && mode !== 'disabled') {
    const variable = name === 'whippy' ? 'WHIPPY_SIGNING_KEYS' : undefined;
    r.problem(
      `${path}.keys`,
      variable
        ? `no signing key; set ${variable} to the Whippy API key that signs the webhooks (comma-separated for rotation, first is current)`
        : 'no signing key; list at least one key (or `${VARIABLE}` that holds them)',
    );
  }
  if (scheme === 'standard-webhooks') {
    keys.forEach((key, i) => {
      if (!/^whsec_[A-Za-z0-9+/=_-]+$/.test(key)) {
        r.problem(`${path}.keys[${i}]`, 'a standard-webhooks key looks like whsec_<base64>');
      }
    });
  }
  return {
    name,
    scheme,
    keys,
    mode,
    toleranceSeconds: r.integer(tree.toleranceSeconds, `${path}.toleranceSeconds`, 300, 0, 86_400 * 365),
    hmac: scheme === 'hmac' ? readHmac(r, tree.hmac, `${path}.hmac`) : undefined,
  };
}

function readKeys(r: Reader, value: unknown, path: string): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!list) {
    r.problem(path, `must be a list of keys or a comma-separated string, got ${describe(value)}`);
    return [];
  }
  return list
    .map((key, i) => (typeof key === 'string' ? key.trim() : r.problem(`${path}[${i}]`, 'must be text')))
    .filter((key): key is string => Boolean(key));
}

function readHmac(r: Reader, value: unknown, path: string): HmacSchemeOptions {
  const tree = r.section(value, path, [
    'header',
    'prefix',
    'template',
    'timestampHeader',
    'algorithm',
    'encoding',
  ]);
  const header = r.string(tree.header, `${path}.header`);
  if (!header) r.problem(`${path}.header`, 'the hmac scheme needs the name of the signature header');
  const template = r.choice(
    tree.template,
    `${path}.template`,
    ['{body}', '{timestamp}.{body}'] as const,
    '{body}',
  );
  const timestampHeader = r.string(tree.timestampHeader, `${path}.timestampHeader`);
  if (template.includes('{timestamp}') && !timestampHeader) {
    r.problem(`${path}.timestampHeader`, 'needed when the template signs {timestamp}');
  }
  return {
    header: (header ?? '').toLowerCase(),
    prefix: r.string(tree.prefix, `${path}.prefix`) ?? '',
    template,
    timestampHeader: timestampHeader?.toLowerCase(),
    algorithm: r.choice(tree.algorithm, `${path}.algorithm`, ['sha256', 'sha512'] as const, 'sha256'),
    encoding: r.choice(tree.encoding, `${path}.encoding`, ['hex', 'base64'] as const, 'hex'),
  };
}
