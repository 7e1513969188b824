import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { destination as fileDescriptor, type DestinationStream, type LogFn, type Logger } from 'pino';
import type { Options } from 'pino-http';
import { isDevelopment, type AppConfig } from '../../config/app-config.js';
import { maskingDestination, redactedPaths } from './log-redaction.js';

/**
 * Nest's boot chatter: a line per module, controller and route. Shown from `debug` on, so
 * `info` starts with the service's own few lines.
 */
const BOOT_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

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
 * The application logger's options (nestjs-pino builds it through pino-http): credentials and
 * signatures redacted wherever a request is logged, Nest's boot chatter below `debug`.
 */
export function httpLogOptions(config: AppConfig): Options {
  return {
    level: config.log.level,
    hooks: {
      logMethod(this: Logger, args: Parameters<LogFn>, method: LogFn) {
        const first = args[0] as { context?: unknown } | null | undefined;
        const context = typeof first === 'object' && first !== null ? first.context : undefined;
        if (typeof context === 'string' && BOOT_CONTEXTS.has(context) && !this.isLevelEnabled('debug'))
          return;
        return method.apply(this, args);
      },
    },
    redact: {
      paths: [
        ...redactedHeaders(config).map((name) => `req.headers[${JSON.stringify(name)}]`),
        'res.headers["set-cookie"]',
        ...(config.log.redact ? redactedPaths() : []),
      ],
      censor: '[redacted]',
    },
  };
}

/**
 * The request logger's options ({@link RequestLog}): one line per request that failed
 * (debug for the rest), URLs without their query string. Refused webhooks are left to the
 * RejectionLog (one compact, rate-limited line each); a flood of them must not write a line
 * with every header per request.
 */
export function requestLogOptions(): Options {
  return {
    // Lines written while a request runs carry its id, not the whole request again.
    quietReqLogger: true,
    customLogLevel: (req, res, error) => {
      if (error || (res.statusCode >= 500 && res.statusCode !== 503)) return 'error';
      if (isWebhook(req)) return 'silent';
      return res.statusCode >= 400 ? 'warn' : 'debug';
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

/**
 * Where the lines go: stdout, through pino-pretty (one line each) in development when it is
 * installed, JSON otherwise; masked ({@link maskingDestination}) unless `log.redact` is false.
 * @param output the stream to write to instead of stdout (tests capture lines with it).
 */
export function logDestination(config: AppConfig, output?: DestinationStream): DestinationStream {
  let stream: DestinationStream = output ?? fileDescriptor(1);
  if (isDevelopment(config)) stream = prettyStream(stream) ?? stream;
  return config.log.redact ? maskingDestination(stream) : stream;
}

/** pino-pretty writing to `output`, or undefined when it is not installed (JSON then). */
function prettyStream(output: DestinationStream): DestinationStream | undefined {
  let pretty: (options: object) => DestinationStream;
  try {
    const loaded = createRequire(import.meta.url)('pino-pretty') as {
      default?: typeof pretty;
    } & typeof pretty;
    pretty = loaded.default ?? loaded;
  } catch {
    return undefined;
  }
  return pretty({ singleLine: true, colorize: false, ignore: 'pid,hostname', destination: output });
}

/** A request to the webhook route's path: the request log leaves it to the event and rejection logs. */
export const isWebhook = (req: IncomingMessage & { originalUrl?: string }): boolean =>
  (req.originalUrl ?? req.url ?? '').startsWith('/webhooks/');
