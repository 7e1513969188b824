import { AppConfig, PROCESS_ROLES, SourceConfig } from './app-config.js';
import { ConfigError } from './config.error.js';
import { ConfigReader, type ConfigSection, type Tree } from './config-reader.js';
import { readDelivery, readRetention } from './delivery.schema.js';
import { readSource } from './sources.schema.js';
import { readSubscribers } from './subscribers.schema.js';

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
