import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Command, CommandRunner, Help, Option } from 'nest-commander';
import type { AppConfig } from '../config/app-config.js';
import { ConfigError } from '../config/config.error.js';
import { loadAppConfig } from '../app.config.js';
import { isKnownEventType, WHIPPY_EVENT_TYPES } from '../platform/events/event-types.js';
import { schemeFor, type SignatureScheme } from '../platform/webhooks/schemes/index.js';
import { CliError, describeError, invalidArgument } from './cli.error.js';

export interface SendOptions {
  /**
   * The service's base URL, as in every command; the request goes to its
   * `/webhooks/<source>`. A full `…/webhooks/<name>` URL is used as it is.
   * @default `http://localhost:<server.port>`
   */
  url?: string;
  /**
   * The configured source whose scheme and first key sign the request.
   * @default the source a full --url names, else 'whippy'
   */
  source?: string;
  /** Signs with this key instead of the source's first key. */
  key?: string;
  /** A JSON file holding the event's `data`. @default fixtures/whippy/<event-type>.json */
  data?: string;
  /** How many requests, each with its own `request_id`. @default 1 */
  count: number;
}

interface Target {
  url: string;
  scheme: SignatureScheme;
  key: string;
  /** Which key signed, for the hint after a 401; never the key itself. */
  keyOrigin: string;
}

/** A realistic `data` for each known type; `../../` from both src/cli/ and dist/cli/. */
const FIXTURES = new URL('../../fixtures/whippy/', import.meta.url);
const TIMEOUT_MS = 30_000;
const USER_AGENT = 'switchyard-send';

/**
 * `switchyard send <event-type>`: POSTs a signed sample envelope the way Whippy would, and
 * prints `<status> <response body>` for each request. Exits 1 if any answer was not 2xx.
 */
@Command({
  name: 'send',
  arguments: '<event-type>',
  argsDescription: { 'event-type': 'a Whippy event type, e.g. message.created (list below)' },
  description: 'POST a signed sample Whippy webhook to Switchyard (or to any URL)',
})
export class SendCommand extends CommandRunner {
  async run([type]: string[], options: SendOptions): Promise<void> {
    const data = eventData(type, options.data);
    const target = resolveTarget(options);
    let refused = 0;
    for (let i = 0; i < options.count; i++) {
      const status = await send(target, type, data);
      if (status < 200 || status > 299) refused++;
      if (status === 401 && refused === 1) {
        process.stderr.write(
          `switchyard: ${target.url} refused the signature (${target.scheme.name} scheme, ${target.keyOrigin}); ` +
            'its GET /admin/api/verification-failures says what it tried\n',
        );
      }
    }
    if (refused > 0) process.exitCode = 1;
  }

  @Option({
    flags: '--url <url>',
    description:
      "the service's base URL (default: http://localhost:<server.port>); a full …/webhooks/<source> URL works too",
  })
  parseUrl(value: string): string {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw invalidArgument('It is not a URL.');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidArgument('Use an http(s) URL.');
    return url.toString();
  }

  @Option({
    flags: '--source <name>',
    description:
      'the configured source whose scheme and first key sign the request (default: the one --url names, else whippy)',
  })
  parseSource(value: string): string {
    return value;
  }

  @Option({ flags: '--key <key>', description: "sign with this key instead of the source's first key" })
  parseKey(value: string): string {
    return value;
  }

  @Option({
    flags: '--data <file.json>',
    description: "the event's data (default: fixtures/whippy/<event-type>.json); sends unknown types too",
  })
  parseData(value: string): string {
    return value;
  }

  @Option({
    flags: '--count <n>',
    description: 'how many requests to send, each with its own request_id',
    defaultValue: 1,
  })
  parseCount(value: string): number {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) {
      throw invalidArgument('It must be a whole number of at least 1.');
    }
    return n;
  }

  @Help('after')
  knownTypes(): string {
    return `\nKnown event types:\n  ${WHIPPY_EVENT_TYPES.join('\n  ')}\n`;
  }
}

/** The --data file, or the fixture of a known type; an unknown type needs --data. */
function eventData(type: string, file: string | undefined): unknown {
  if (file !== undefined) return readJson(file, file);
  if (!isKnownEventType(type)) {
    throw new CliError(
      `unknown event type '${type}'. Known types:\n  ${WHIPPY_EVENT_TYPES.join('\n  ')}\n` +
        'To send a type that is not in this list, give its data with --data <file.json>.',
    );
  }
  return readJson(new URL(`${type}.json`, FIXTURES), `the sample of ${type}`);
}

function readJson(file: string | URL, name: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${name}: ${describeError(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${name} is not JSON: ${describeError(error)}`);
  }
}

/**
 * With both --url and --key the configuration is optional (pointing at another host): it only
 * lends the scheme of --source when that source is configured, else the whippy scheme is used.
 */
function resolveTarget(options: SendOptions): Target {
  const sourceName = options.source ?? sourceInUrl(options.url) ?? 'whippy';
  if (options.url !== undefined && options.key !== undefined) {
    const source = configIfValid()?.sources[sourceName];
    return {
      url: webhookUrl(options.url, sourceName),
      key: options.key,
      keyOrigin: '--key',
      scheme: schemeFor(source ?? { scheme: 'whippy' }),
    };
  }
  const config = configOrExplain();
  const source = config.sources[sourceName];
  if (!source) {
    throw new CliError(
      `no source '${sourceName}' in the configuration (APP_ENV=${config.env}); ` +
        `configured: ${Object.keys(config.sources).join(', ')}`,
    );
  }
  const key = options.key ?? source.keys[0];
  if (key === undefined) throw new CliError(`source '${source.name}' has no signing key; pass --key`);
  return {
    url: webhookUrl(options.url ?? `http://localhost:${config.server.port}`, source.name),
    key,
    keyOrigin:
      options.key !== undefined
        ? '--key'
        : source.generatedKeyFile
          ? `the development key in ${source.generatedKeyFile}`
          : `the first key of source '${source.name}' with APP_ENV=${config.env}`,
    scheme: schemeFor(source),
  };
}

const WEBHOOK_PATH = /\/webhooks\/([^/]+)\/?$/;

/** The source a full webhook URL names (`…/webhooks/<name>`), if it names one. */
function sourceInUrl(url: string | undefined): string | undefined {
  const match = url === undefined ? null : WEBHOOK_PATH.exec(new URL(url).pathname);
  return match ? decodeURIComponent(match[1]) : undefined;
}

/** `--url` is the service's base URL (path prefix kept); a full webhook URL is used as is. */
export function webhookUrl(base: string, source: string): string {
  const url = new URL(base);
  if (WEBHOOK_PATH.test(url.pathname)) return url.toString();
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/webhooks/${encodeURIComponent(source)}`;
  return url.toString();
}

function configIfValid(): AppConfig | undefined {
  try {
    return loadAppConfig();
  } catch {
    return undefined;
  }
}

function configOrExplain(): AppConfig {
  try {
    return loadAppConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(`${error.message}\n(to send without a configuration, pass both --url and --key)`);
  }
}

/** One signed request with a fresh request_id; prints the answer and returns its status. */
async function send(target: Target, type: string, data: unknown): Promise<number> {
  const body = JSON.stringify({ event: type, request_id: randomUUID(), data });
  const signature = target.scheme.sign({
    body,
    key: target.key,
    timestamp: Math.floor(Date.now() / 1000),
    // Standard Webhooks dedupes on webhook-id, so every request gets its own.
    id: `msg_${randomUUID()}`,
  });
  let response: Response;
  let text: string;
  try {
    response = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': USER_AGENT, ...signature },
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    throw new CliError(`could not reach ${target.url}: ${describeError(error)}`);
  }
  process.stdout.write(`${response.status} ${text.trim()}\n`);
  return response.status;
}
