import type { IncomingMessage } from 'node:http';
import type { Options } from 'pino-http';
import type { AppConfig } from '../../config/app-config.js';

/** Request headers that carry a credential or a signature, whatever the source. */
const SECRET_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'x-whippy-signature',
  'webhook-signature',
  'svix-signature',
];

/**
 * Every header to hide in logged requests: the fixed ones and each `hmac` source's signature
 * header. Exported for the README and tests.
 */
export function redactedHeaders(config: Pick<AppConfig, 'sources'>): string[] {
  const custom = Object.values(config.sources)
    .map((source) => source.hmac?.header.toLowerCase())
    .filter((name): name is string => Boolean(name));
  return [...new Set([...SECRET_HEADERS, ...custom])];
}

/**
 * pino-http's options: one line per request that failed (debug for the rest), credentials and
 * signatures redacted, URLs without their query string. Refused webhooks are left to the
 * RejectionLog (one compact, rate-limited line each); a flood of them must not write a line
 * with every header per request.
 */
export function httpLogOptions(config: AppConfig): Options {
  return {
    level: config.log.level,
    // Lines written while a request runs carry its id, not the whole request again.
    quietReqLogger: true,
    customLogLevel: (req, res, error) => {
      if (error || (res.statusCode >= 500 && res.statusCode !== 503)) return 'error';
      if (isWebhook(req)) return 'silent';
      return res.statusCode >= 400 ? 'warn' : 'debug';
    },
    redact: {
      paths: [
        ...redactedHeaders(config).map((name) => `req.headers[${JSON.stringify(name)}]`),
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { url?: string; query?: unknown }) => {
        // A token or signature passed as a query parameter stays out of the log.
        if (typeof req.url === 'string') req.url = req.url.split('?')[0];
        delete req.query;
        return req;
      },
    },
  };
}

const isWebhook = (req: IncomingMessage & { originalUrl?: string }): boolean =>
  (req.originalUrl ?? req.url ?? '').startsWith('/webhooks/');
