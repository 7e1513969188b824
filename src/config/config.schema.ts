import {
  AppConfig,
  DeliveryConfig,
  FilterCondition,
  HmacSchemeOptions,
  RetentionConfig,
  PROCESS_ROLES,
  SchemeName,
  SourceConfig,
  SourceMode,
  SubscriberRouteConfig,
} from './app-config.js';
import { ConfigError } from './config.error.js';

const SCHEMES: SchemeName[] = ['whippy', 'standard-webhooks', 'hmac'];
const MODES: SourceMode[] = ['active', 'paused', 'disabled'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const SECTIONS = [
  'server',
  'store',
  'queue',
  'sources',
  'subscribers',
  'delivery',
  'retention',
  'admin',
  'diagnostics',
  'whippyApi',
  'log',
];

type Tree = Record<string, unknown>;

/** Collects `path: problem` lines while reading a merged configuration tree. */
export class ConfigReader {
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

  boolean(value: unknown, path: string, fallback: boolean): boolean {
    if (value === undefined || value === null) return fallback;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    this.problem(path, `must be true or false, got ${describe(value)}`);
    return fallback;
  }

  /** A list of texts; a comma-separated string is taken as a list too. */
  strings(value: unknown, path: string): string[] | undefined {
    if (value === undefined || value === null) return undefined;
    const list = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(list)) {
      this.problem(path, `must be a list, got ${describe(value)}`);
      return undefined;
    }
    return list
      .map((item, i) =>
        typeof item === 'string' ? item.trim() : this.problem(`${path}[${i}]`, 'must be text'),
      )
      .filter((item): item is string => Boolean(item));
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

  /** A decimal number (minutes, hours); `0.5` and `"0.5"` alike. */
  number(value: unknown, path: string, fallback: number, min: number, max: number): number {
    if (value === undefined || value === null || value === '') return fallback;
    const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < min || n > max) {
      this.problem(path, `must be a number from ${min} to ${max}, got ${describe(value)}`);
      return fallback;
    }
    return n;
  }

  /** An absolute http(s) URL, returned without a trailing slash. */
  httpUrl(value: unknown, path: string): string | undefined {
    const text = this.string(value, path);
    if (text === undefined) return undefined;
    let url: URL | undefined;
    try {
      url = new URL(text);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash) {
      this.problem(path, `must be an http(s) URL such as https://hooks.example.com, got ${describe(value)}`);
      return undefined;
    }
    return text.replace(/\/+$/, '');
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
  options: { requireSigningKeys?: boolean; sections?: readonly ConfigSection[] } = {},
): AppConfig {
  const sections = options.sections ?? [];
  const r = new ConfigReader();
  const development = appEnv === 'development';
  r.section(tree, '(top level)', [...SECTIONS, ...sections.map((section) => section.name)]);

  const server = r.section(tree.server, 'server', [
    'port',
    'bodyLimit',
    'headersTimeoutMs',
    'requestTimeoutMs',
    'keepAliveTimeoutMs',
    'shutdownTimeoutMs',
    'publicUrl',
    'role',
  ]);
  const queue = r.section(tree.queue, 'queue', ['redisUrl']);
  const redisUrl = r.string(queue.redisUrl, 'queue.redisUrl');
  if (redisUrl && !/^rediss?:\/\//.test(redisUrl)) {
    r.problem('queue.redisUrl', 'must be a redis:// or rediss:// URL (REDIS_URL)');
  }
  const store = r.section(tree.store, 'store', ['dataDir', 'databaseUrl']);
  const admin = r.section(tree.admin, 'admin', ['token']);
  const diagnostics = r.section(tree.diagnostics, 'diagnostics', [
    'maxFailures',
    'silenceMinutes',
    'windowHours',
    'backlogMinutes',
  ]);
  const whippyApi = r.section(tree.whippyApi, 'whippyApi', [
    'key',
    'baseUrl',
    'timeoutMs',
    'applicationName',
  ]);
  const log = r.section(tree.log, 'log', ['level', 'redact']);
  const redact = r.boolean(log.redact, 'log.redact', true);
  // Raw phones, emails and bodies in a log are a leak wherever the log is shipped: only a
  // developer's own terminal may have them.
  if (!redact && !development)
    r.problem('log.redact', `may be false only with APP_ENV=development (this is ${appEnv})`);

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
    const source = readSource(r, name, value, development || options.requireSigningKeys === false);
    if (source) sources[name] = source;
  }
  if (Object.keys(sources).length === 0 && r.issues.length === 0) {
    r.problem('sources', 'at least one source is needed (the default is `whippy`)');
  }

  const token = r.string(admin.token, 'admin.token');
  const integrations: Record<string, unknown> = {};
  for (const section of sections)
    integrations[section.name] = section.read(tree[section.name], r, section.name);
  const config: AppConfig = {
    env: appEnv,
    server: readServer(r, server),
    store: { dataDir: r.string(store.dataDir, 'store.dataDir') ?? './data', databaseUrl },
    queue: { redisUrl },
    sources,
    admin: { token, enabled: Boolean(token) || development },
    diagnostics: {
      maxFailures: r.integer(diagnostics.maxFailures, 'diagnostics.maxFailures', 500, 0, 100_000),
      silenceMinutes: r.number(diagnostics.silenceMinutes, 'diagnostics.silenceMinutes', 60, 0.01, 525_600),
      windowHours: r.number(diagnostics.windowHours, 'diagnostics.windowHours', 24, 0.01, 8760),
      backlogMinutes: r.number(diagnostics.backlogMinutes, 'diagnostics.backlogMinutes', 15, 0.01, 525_600),
    },
    whippyApi: {
      key: r.string(whippyApi.key, 'whippyApi.key (WHIPPY_API_KEY)'),
      baseUrl: r.httpUrl(whippyApi.baseUrl, 'whippyApi.baseUrl') ?? 'https://api.whippy.co',
      timeoutMs: r.integer(whippyApi.timeoutMs, 'whippyApi.timeoutMs', 10_000, 1, 300_000),
      applicationName: r.string(whippyApi.applicationName, 'whippyApi.applicationName') ?? 'Switchyard',
    },
    log: { level: r.choice(log.level, 'log.level', LOG_LEVELS, 'info'), redact },
    subscribers: readSubscribers(r, tree.subscribers),
    delivery: readDelivery(r, tree.delivery),
    retention: readRetention(r, tree.retention),
    integrations,
  };
  if (r.issues.length) throw new ConfigError(appEnv, r.issues);
  return config;
}

function readServer(r: ConfigReader, server: Tree): AppConfig['server'] {
  const headersTimeoutMs = r.integer(
    server.headersTimeoutMs,
    'server.headersTimeoutMs',
    10_000,
    1000,
    600_000,
  );
  const requestTimeoutMs = r.integer(
    server.requestTimeoutMs,
    'server.requestTimeoutMs',
    30_000,
    1000,
    3_600_000,
  );
  if (headersTimeoutMs > requestTimeoutMs) {
    r.problem(
      'server.headersTimeoutMs',
      `must not exceed server.requestTimeoutMs (${requestTimeoutMs}), got ${headersTimeoutMs}`,
    );
  }
  return {
    port: r.integer(server.port, 'server.port', 3000, 0, 65535),
    bodyLimitBytes: r.bytes(server.bodyLimit, 'server.bodyLimit', 1024 * 1024),
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs: r.integer(server.keepAliveTimeoutMs, 'server.keepAliveTimeoutMs', 5000, 0, 600_000),
    shutdownTimeoutMs: r.integer(server.shutdownTimeoutMs, 'server.shutdownTimeoutMs', 10_000, 1000, 600_000),
    publicUrl: r.httpUrl(server.publicUrl, 'server.publicUrl (PUBLIC_URL)'),
    role: r.choice(server.role, 'server.role (ROLE or --role)', PROCESS_ROLES, 'all'),
  };
}

function readSource(
  r: ConfigReader,
  name: string,
  value: unknown,
  keysOptional: boolean,
): SourceConfig | undefined {
  const path = `sources.${name}`;
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    r.problem(path, 'a source name may hold lower-case letters, digits, - and _ (it is part of the URL)');
  }
  const tree = r.section(value, path, ['scheme', 'keys', 'retiredKeys', 'toleranceSeconds', 'mode', 'hmac']);
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
  const retiredKeys = readKeys(r, tree.retiredKeys, `${path}.retiredKeys`);
  retiredKeys.forEach((key, i) => {
    if (keys.includes(key))
      r.problem(`${path}.retiredKeys[${i}]`, 'is also in keys; a key is either accepted or retired');
  });
  return {
    name,
    scheme,
    keys,
    retiredKeys,
    mode,
    toleranceSeconds: r.integer(tree.toleranceSeconds, `${path}.toleranceSeconds`, 300, 0, 86_400 * 365),
    hmac: scheme === 'hmac' ? readHmac(r, tree.hmac, `${path}.hmac`) : undefined,
  };
}

function readKeys(r: ConfigReader, value: unknown, path: string): string[] {
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

function readHmac(r: ConfigReader, value: unknown, path: string): HmacSchemeOptions {
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

/** A configuration section owned by an integration (e.g. `relay:`), read with the same rules. */
export interface ConfigSection<T = unknown> {
  name: string;
  read(value: unknown, reader: ConfigReader, path: string): T;
}

function readSubscribers(r: ConfigReader, value: unknown): Record<string, SubscriberRouteConfig> {
  const tree = r.section(value, 'subscribers', Object.keys((value as Tree | undefined) ?? {}));
  const out: Record<string, SubscriberRouteConfig> = {};
  for (const [id, entry] of Object.entries(tree)) {
    const path = `subscribers.${id}`;
    const spec = r.section(entry, path, ['enabled', 'events', 'filter']);
    out[id] = {
      enabled: r.boolean(spec.enabled, `${path}.enabled`, true),
      events: r.strings(spec.events, `${path}.events`),
      filter:
        spec.filter === undefined || spec.filter === null
          ? undefined
          : readFilter(r, spec.filter, `${path}.filter`),
    };
  }
  return out;
}

const OPERATORS = ['in', 'exists', 'prefix', 'not'];

/** `{ <field path>: <value> | {in: [...]} | {exists: bool} | {prefix: text} | {not: <condition>} }` */
function readFilter(r: ConfigReader, value: unknown, path: string): Record<string, FilterCondition> {
  const tree = r.section(value, path, Object.keys((value as Tree | undefined) ?? {}));
  return Object.fromEntries(
    Object.entries(tree).map(([field, condition]) => [
      field,
      readCondition(r, condition, `${path}.${field}`),
    ]),
  );
}

function readCondition(r: ConfigReader, value: unknown, path: string): FilterCondition {
  if (value === null || ['string', 'number', 'boolean'].includes(typeof value))
    return { equals: value as string };
  if (Array.isArray(value)) {
    r.problem(path, 'a list needs an operator: write {in: [...]}');
    return { equals: null };
  }
  const spec = value as Tree;
  const keys = Object.keys(spec);
  if (keys.length !== 1 || !OPERATORS.includes(keys[0])) {
    r.problem(
      path,
      `must be a value or one of {in: [...]}, {exists: true|false}, {prefix: text}, {not: ...}; got keys ${keys.join(', ') || '(none)'}`,
    );
    return { equals: null };
  }
  const [op] = keys;
  const operand = spec[op];
  if (op === 'in') {
    if (!Array.isArray(operand) || operand.some((v) => v !== null && typeof v === 'object')) {
      r.problem(`${path}.in`, 'must be a list of values');
      return { in: [] };
    }
    return { in: operand as (string | number | boolean | null)[] };
  }
  if (op === 'exists') return { exists: r.boolean(operand, `${path}.exists`, true) };
  if (op === 'prefix') {
    if (typeof operand !== 'string') r.problem(`${path}.prefix`, 'must be text');
    return { prefix: String(operand) };
  }
  return { not: readCondition(r, operand, `${path}.not`) };
}

function readDelivery(r: ConfigReader, value: unknown): DeliveryConfig {
  const tree = r.section(value, 'delivery', [
    'maxAttempts',
    'maxThrottledAttempts',
    'backoff',
    'concurrency',
    'timeoutMs',
    'window',
  ]);
  const backoff = r.section(tree.backoff, 'delivery.backoff', ['initialMs', 'maxMs', 'jitter']);
  const initialMs = r.integer(backoff.initialMs, 'delivery.backoff.initialMs', 1000, 1, 86_400_000);
  const maxMs = r.integer(backoff.maxMs, 'delivery.backoff.maxMs', 3_600_000, 1, 7 * 86_400_000);
  if (maxMs < initialMs) r.problem('delivery.backoff.maxMs', `must be at least initialMs (${initialMs})`);
  return {
    maxAttempts: r.integer(tree.maxAttempts, 'delivery.maxAttempts', 10, 1, 1000),
    maxThrottledAttempts: r.integer(
      tree.maxThrottledAttempts,
      'delivery.maxThrottledAttempts',
      50,
      0,
      10_000,
    ),
    backoff: { initialMs, maxMs, jitter: r.boolean(backoff.jitter, 'delivery.backoff.jitter', true) },
    concurrency: r.integer(tree.concurrency, 'delivery.concurrency', 10, 1, 1000),
    timeoutMs: r.integer(tree.timeoutMs, 'delivery.timeoutMs', 30_000, 1, 3_600_000),
    window: r.integer(tree.window, 'delivery.window', 1000, 10, 1_000_000),
  };
}

function readRetention(r: ConfigReader, value: unknown): RetentionConfig {
  const tree = r.section(value, 'retention', ['enabled', 'days', 'deadDays', 'intervalMinutes', 'batchSize']);
  return {
    enabled: r.boolean(tree.enabled, 'retention.enabled', true),
    days: r.number(tree.days, 'retention.days', 30, 0.001, 36_500),
    deadDays: r.number(tree.deadDays, 'retention.deadDays', 90, 0.001, 36_500),
    intervalMinutes: r.number(tree.intervalMinutes, 'retention.intervalMinutes', 5, 0.01, 1440),
    batchSize: r.integer(tree.batchSize, 'retention.batchSize', 500, 1, 10_000),
  };
}
