import { CommandRunner, Option } from 'nest-commander';
import { loadAppConfig } from '../app.config.js';
import { CliError, describeError } from './cli.error.js';

/** Options every admin command takes. */
export interface AdminOptions {
  /** The service's base URL. @default `http://localhost:<server.port>` */
  url?: string;
  /** @default ADMIN_TOKEN */
  token?: string;
}

/** Calls the running service's admin API, as an operator would with curl. */
export async function adminRequest<T>(
  options: AdminOptions,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<T> {
  const base = options.url ?? `http://localhost:${portFromConfig()}`;
  const url = new URL(path, base.endsWith('/') ? base : `${base}/`).toString();
  const token = options.token ?? process.env.ADMIN_TOKEN;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(60_000),
    });
    text = await response.text();
  } catch (error) {
    throw new CliError(`could not reach ${url}: ${describeError(error)}`);
  }
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const message = (parsed as { message?: string } | undefined)?.message ?? text;
    const hint = response.status === 401 ? ' (set ADMIN_TOKEN or pass --token)' : '';
    throw new CliError(`${method} ${url} answered ${response.status}: ${message}${hint}`);
  }
  return parsed as T;
}

function portFromConfig(): number {
  try {
    return loadAppConfig({ requireSigningKeys: false }).server.port;
  } catch {
    return Number(process.env.PORT) || 3000;
  }
}

/** nest-commander option parsers shared by the admin commands. */
export const adminOptionFlags = {
  url: {
    flags: '--url <url>',
    description: "the service's base URL (default: http://localhost:<server.port>)",
  },
  token: { flags: '--token <token>', description: 'the admin token (default: ADMIN_TOKEN)' },
};

/** --url and --token, shared by every command that talks to the admin API. */
export abstract class AdminCommand extends CommandRunner {
  @Option(adminOptionFlags.url)
  parseUrl(value: string): string {
    return value;
  }

  @Option(adminOptionFlags.token)
  parseToken(value: string): string {
    return value;
  }
}
