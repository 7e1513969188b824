/** How a source proves its requests; see README "Signature schemes". */
export type SchemeName = 'whippy' | 'standard-webhooks' | 'hmac';

/** `active` delivers, `paused` stores events as held, `disabled` answers 404. */
export type SourceMode = 'active' | 'paused' | 'disabled';

export interface HmacSchemeOptions {
  /** Header carrying the signature, e.g. `x-signature`. */
  header: string;
  /** Text before the signature in the header, e.g. `sha256=`. @default '' */
  prefix: string;
  /** What is signed: `{body}` or `{timestamp}.{body}`. @default '{body}' */
  template: string;
  /** Header carrying the unix timestamp when the template uses `{timestamp}`. */
  timestampHeader?: string;
  /** @default 'sha256' */
  algorithm: 'sha256' | 'sha512';
  /** @default 'hex' */
  encoding: 'hex' | 'base64';
}

export interface SourceConfig {
  name: string;
  scheme: SchemeName;
  /** The key ring: the first key is current, the others are still accepted. */
  keys: string[];
  /** Allowed clock difference each way; 0 turns the check off. @default 300 */
  toleranceSeconds: number;
  mode: SourceMode;
  /**
   * Keys taken out of the ring: no longer accepted, only recognised, so that a request still
   * signed with one is diagnosed as "Whippy still signs with a retired key". @default []
   */
  retiredKeys: string[];
  hmac?: HmacSchemeOptions;
  /** Set when a development key was generated; the file it is kept in. */
  generatedKeyFile?: string;
}

/** One condition of a route filter, on a field named as Whippy names it (`data.direction`). */
export type FilterCondition =
  | { equals: string | number | boolean | null }
  | { in: (string | number | boolean | null)[] }
  | { exists: boolean }
  | { prefix: string }
  | { not: FilterCondition };

/** The `subscribers.<id>` section: what this environment lets a subscriber hear. */
export interface SubscriberRouteConfig {
  /** @default true */
  enabled: boolean;
  /** Narrows the types the code declares; patterns allowed. */
  events?: string[];
  /** Every field must match (and). */
  filter?: Record<string, FilterCondition>;
}

export interface DeliveryConfig {
  /** Attempts before a delivery is dead. @default 10 */
  maxAttempts: number;
  /**
   * Throttled attempts (RetryLater: a 429, or a 503 with Retry-After) that do not count
   * against maxAttempts; past this many, they do. @default 50
   */
  maxThrottledAttempts: number;
  /** Exponential: initialMs × 2^(attempt−1), at most maxMs; jitter spreads it over 50–100 %. */
  backoff: { initialMs: number; maxMs: number; jitter: boolean };
  /** Deliveries running at once, per subscriber. @default 10 */
  concurrency: number;
  /** A handler running longer is aborted and retried. @default 30000 */
  timeoutMs: number;
  /**
   * Deliveries the in-process queue keeps in memory per subscriber (and parsed events in all)
   * at most; the rest of a backlog waits in the store and is paged in as room frees. @default 1000
   */
  window: number;
}

/** What the store keeps, and how it prunes the rest (README "Retention"). */
export interface RetentionConfig {
  /** false keeps everything for ever. @default true */
  enabled: boolean;
  /** Events and succeeded deliveries older than this are pruned. @default 30 */
  days: number;
  /** Dead deliveries, and unknown or invalid events, are kept this long. @default 90 */
  deadDays: number;
  /** How often a pruning run starts. @default 5 */
  intervalMinutes: number;
  /** Rows deleted per transaction; the run pauses between batches. @default 500 */
  batchSize: number;
}

export interface ServerConfig {
  /** @default 3000 */
  port: number;
  /** Larger webhook bodies get 413. @default 1 MiB */
  bodyLimitBytes: number;
  /** A client must send its request headers within this. @default 10000 */
  headersTimeoutMs: number;
  /** A client must send its whole request within this. @default 30000 */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. @default 5000 */
  keepAliveTimeoutMs: number;
  /** SIGTERM/SIGINT: the process has exited within this, whatever clients do. @default 10000 */
  shutdownTimeoutMs: number;
  /** PUBLIC_URL: the base URL Whippy posts to, without a trailing slash. */
  publicUrl?: string;
  /**
   * ROLE or `--role`: `api` receives, stores and classifies and runs no handler; `worker`
   * runs deliveries and serves only /health and /metrics; `all` both. @default 'all'
   */
  role: ProcessRole;
}

export type ProcessRole = 'api' | 'worker' | 'all';
export const PROCESS_ROLES: readonly ProcessRole[] = ['api', 'worker', 'all'];

/** The delivery queue: in-process by default, BullMQ on Redis when a URL is set. */
export interface QueueConfig {
  /** REDIS_URL: `redis://…` switches the delivery queue to BullMQ. */
  redisUrl?: string;
}

export interface DiagnosticsConfig {
  /** Verification failures kept in memory. @default 500 */
  maxFailures: number;
  /** Minutes without an event, after steady traffic, before a source counts as silent. @default 60 */
  silenceMinutes: number;
  /** How far back the doctor looks at stored events and deliveries. @default 24 */
  windowHours: number;
  /** Age of the oldest unfinished delivery past which a backlog is reported. @default 15 */
  backlogMinutes: number;
}

/** Whippy's REST API (`whippy sync-endpoint`). */
export interface WhippyApiConfig {
  /** WHIPPY_API_KEY, sent as X-WHIPPY-KEY; never logged. */
  key?: string;
  /** @default 'https://api.whippy.co' */
  baseUrl: string;
  /** Per request. @default 10000 */
  timeoutMs: number;
  /** The developer application `whippy sync-endpoint` manages. @default 'Switchyard' */
  applicationName: string;
}

export interface AppConfig {
  /**
   * APP_ENV; only `development` relaxes the rules on keys and the admin token. Unset means
   * `production` (`npm start` and the CLI default it to `development`).
   */
  env: string;
  server: ServerConfig;
  store: { dataDir: string; databaseUrl?: string };
  queue: QueueConfig;
  sources: Record<string, SourceConfig>;
  admin: {
    token?: string;
    /** false outside development when no token is set: no /admin at all. */
    enabled: boolean;
  };
  diagnostics: DiagnosticsConfig;
  whippyApi: WhippyApiConfig;
  log: {
    level: string;
    /**
     * Mask phone numbers, email addresses, message bodies and secrets in every log line.
     * false is allowed only in development. @default true
     */
    redact: boolean;
  };
  subscribers: Record<string, SubscriberRouteConfig>;
  delivery: DeliveryConfig;
  retention: RetentionConfig;
  /** Sections owned by integrations (e.g. `relay`), each validated by its ConfigSection. */
  integrations: Record<string, unknown>;
}

export const isDevelopment = (config: Pick<AppConfig, 'env'>): boolean => config.env === 'development';
