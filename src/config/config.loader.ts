import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { AppConfig } from './app-config.js';
import { ConfigError } from './config.error.js';
import type { ConfigSection } from './config-reader.js';
import { validateConfig } from './config.schema.js';
import { ensureDevelopmentKeys } from './dev-keys.js';

export interface LoadConfigOptions {
  /** Environment to read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
  /** Folder holding default.yaml and <APP_ENV>.yaml; defaults to CONFIG_DIR or ./config. */
  configDir?: string;
  /**
   * false for commands that never verify a request (`migrate`): a missing signing key is
   * then not an error. @default true
   */
  requireSigningKeys?: boolean;
  /** Sections owned by integrations; the app passes them (see src/integrations/index.ts). */
  sections?: readonly ConfigSection[];
  /**
   * APP_ENV when the environment does not set it. `npm start` and the CLI say `development`;
   * the built service as deployed keeps the safe default. @default 'production'
   */
  defaultEnv?: string;
}

type Tree = Record<string, unknown>;

/**
 * Loads config/default.yaml, config/<APP_ENV>.yaml over it, then the fixed environment
 * variables over both, and validates the result. Throws a ConfigError naming every bad path.
 */
export function loadConfig(options: LoadConfigOptions = {}): AppConfig {
  const env = options.env ?? process.env;
  const appEnv = env.APP_ENV?.trim() || options.defaultEnv || 'production';
  const configDir = resolve(options.configDir ?? env.CONFIG_DIR ?? 'config');
  const issues: string[] = [];

  const defaultFile = resolve(configDir, 'default.yaml');
  if (!existsSync(defaultFile)) {
    throw new ConfigError(appEnv, [`${defaultFile}: file not found (set CONFIG_DIR to the config folder)`]);
  }
  let tree = readYaml(defaultFile, env, issues);
  const envFile = resolve(configDir, `${appEnv}.yaml`);
  if (appEnv !== 'default' && existsSync(envFile)) tree = deepMerge(tree, readYaml(envFile, env, issues));
  if (issues.length) throw new ConfigError(appEnv, issues);

  applyEnvironment(tree, env);
  const config = validateConfig(tree, appEnv, options);
  ensureDevelopmentKeys(config);
  return config;
}

function readYaml(file: string, env: NodeJS.ProcessEnv, issues: string[]): Tree {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length) {
    for (const error of doc.errors) issues.push(`${file}: ${error.message.split('\n')[0]}`);
    return {};
  }
  const value = substitute(doc.toJS() ?? {}, env);
  if (typeof value !== 'object' || Array.isArray(value)) {
    issues.push(`${file}: the top level must be a mapping`);
    return {};
  }
  return value as Tree;
}

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** `${VAR}` and `${VAR:-default}` in string values; an unset variable without default reads as empty. */
function substitute(value: unknown, env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}$/.exec(value);
    if (whole) return env[whole[1]] ?? whole[2] ?? null;
    return value.replace(VARIABLE, (_, name: string, fallback?: string) => env[name] ?? fallback ?? '');
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, env));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, env)]));
  }
  return value;
}

function deepMerge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isTree(current) && isTree(value) ? deepMerge(current, value) : value;
  }
  return out;
}

const isTree = (value: unknown): value is Tree =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The variables with fixed names (DESIGN §6) win over the files. */
function applyEnvironment(tree: Tree, env: NodeJS.ProcessEnv): void {
  const set = (path: string[], value: string | undefined) => {
    if (value === undefined || value === '') return;
    let node = tree;
    for (const key of path.slice(0, -1)) {
      if (!isTree(node[key])) node[key] = {};
      node = node[key] as Tree;
    }
    node[path[path.length - 1]] = value;
  };
  set(['server', 'port'], env.PORT);
  set(['store', 'dataDir'], env.DATA_DIR);
  set(['store', 'databaseUrl'], env.DATABASE_URL);
  set(['queue', 'redisUrl'], env.REDIS_URL);
  set(['server', 'role'], env.ROLE);
  set(['admin', 'token'], env.ADMIN_TOKEN);
  set(['log', 'level'], env.LOG_LEVEL);
  set(['log', 'redact'], env.LOG_REDACT);
  set(['server', 'publicUrl'], env.PUBLIC_URL);
  set(['whippyApi', 'key'], env.WHIPPY_API_KEY);
  set(['whippyApi', 'baseUrl'], env.WHIPPY_API_URL);
  if (env.WHIPPY_SIGNING_KEYS && isTree(tree.sources) && isTree(tree.sources.whippy)) {
    tree.sources.whippy.keys = env.WHIPPY_SIGNING_KEYS;
  }
}
