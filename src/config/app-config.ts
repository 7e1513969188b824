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
  hmac?: HmacSchemeOptions;
  /** Set when a development key was generated; the file it is kept in. */
  generatedKeyFile?: string;
}

export interface AppConfig {
  /** APP_ENV; only `development` relaxes the rules on keys and the admin token. */
  env: string;
  server: { port: number; bodyLimitBytes: number };
  store: { dataDir: string; databaseUrl?: string };
  sources: Record<string, SourceConfig>;
  admin: {
    token?: string;
    /** false outside development when no token is set: no /admin at all. */
    enabled: boolean;
  };
  diagnostics: { maxFailures: number };
  log: { level: string };
}

export const isDevelopment = (config: Pick<AppConfig, 'env'>): boolean => config.env === 'development';
