import { existsSync, readFileSync } from 'node:fs';
import { Command, Option } from 'nest-commander';
import { loadAppConfig } from '../app.config.js';
import type { AppConfig } from '../config/app-config.js';
import type { Explanation, RouteTable } from '../platform/bus/route-table.js';
import { DuplicateSubscriberError } from '../platform/bus/subscriber-registry.service.js';
import { isKnownEventType, WHIPPY_EVENT_TYPES } from '../platform/events/event-types.js';
import { AdminCommand, AdminOptions, adminRequest } from './admin-client.js';
import { routeTableOf } from './app-context.js';
import { CliError, describeError } from './cli.error.js';

export interface RoutesOptions extends AdminOptions {
  /** Reads `config/<name>.yaml` (APP_ENV) instead of asking a running service. */
  env?: string;
  /** A payload file (a whole Whippy body, `{event, data}`, or bare data with --type) or a stored event id. */
  explain?: string;
  /** The event type of a bare `data` payload; alone, explains the bundled sample of that type. */
  type?: string;
  /** The source the payload arrives on. @default 'whippy' */
  source?: string;
}

interface Payload {
  event: string;
  data: unknown;
  source?: string;
}

interface RoutesAnswer {
  routes: { type: string; subscribers: { id: string; filter?: unknown }[] }[];
  subscribers: { id: string; origin?: string; enabled: boolean; types: string[]; reason?: string }[];
}

/** A ULID, as the store's event ids are. */
const EVENT_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const FIXTURES = new URL('../../fixtures/whippy/', import.meta.url);

const print = (line: string) => process.stdout.write(`${line}\n`);

/**
 * `switchyard routes`: the routing table, or with --explain where a payload would go. Without
 * --url it needs no service: it reads the configuration of APP_ENV (or --env) and the code.
 */
@Command({
  name: 'routes',
  description:
    'print the routing table (offline, from the configuration and the code, unless --url is given), ' +
    'or with --explain which subscribers a payload would reach and why',
})
export class RoutesCommand extends AdminCommand {
  async run(_: string[], options: RoutesOptions): Promise<void> {
    if (options.env !== undefined && options.url !== undefined) {
      throw new CliError(
        '--env reads the configuration here and --url asks a running service: give one of them',
      );
    }
    const explaining = options.explain !== undefined || options.type !== undefined;
    if (!explaining) {
      return options.url !== undefined ? this.printTable(await online(options)) : this.offline(options);
    }
    const { payload, stored } = await this.payload(options);
    if (typeof payload.data !== 'object' || payload.data === null || Array.isArray(payload.data)) {
      throw new CliError(`the payload's data must be a JSON object, as Whippy sends it`);
    }
    // A stored event was routed by the service that keeps it: ask that service.
    if (options.url !== undefined || stored) {
      const answer = await adminRequest<Explanation>(options, 'POST', 'admin/api/routes/explain', payload);
      return printExplanation(answer, 'the running service');
    }
    const routes = await this.load(options.env);
    printExplanation(
      routes.table.explain({
        type: payload.event,
        source: payload.source ?? 'whippy',
        data: payload.data as Record<string, unknown>,
      }),
      `APP_ENV=${routes.config.env}`,
    );
  }

  private async offline(options: RoutesOptions): Promise<void> {
    const routes = await this.load(options.env);
    print(`routes for APP_ENV=${routes.config.env} (from the configuration and the code):`);
    this.printTable({ routes: routes.table.table(), subscribers: routes.table.subscribers() });
  }

  private async load(env: string | undefined): Promise<{ config: AppConfig; table: RouteTable }> {
    const config = loadAppConfig({
      env: env === undefined ? process.env : { ...process.env, APP_ENV: env },
      requireSigningKeys: false,
    });
    try {
      return { config, table: await routeTableOf(config) };
    } catch (error) {
      if (error instanceof DuplicateSubscriberError) throw new CliError(error.message);
      throw error;
    }
  }

  private printTable(answer: RoutesAnswer): void {
    if (answer.routes.length === 0) print('no routes: events are kept as unrouted');
    for (const route of answer.routes) {
      const subscribers = route.subscribers.map((s) =>
        s.filter ? `${s.id} (filter: ${JSON.stringify(s.filter)})` : s.id,
      );
      print(`${route.type} → ${subscribers.join(', ')}`);
    }
    const off = answer.subscribers.filter((s) => !s.enabled);
    if (off.length) {
      print('disabled:');
      for (const s of off) print(`  ${s.id}: ${s.reason ?? `subscribers.${s.id}.enabled is false`}`);
    }
  }

  /** The payload to explain, from a file, a stored event, or the sample of --type. */
  private async payload(options: RoutesOptions): Promise<{ payload: Payload; stored: boolean }> {
    const source = options.source;
    const target = options.explain;
    if (target === undefined) {
      const type = options.type!;
      if (!isKnownEventType(type)) {
        throw new CliError(
          `no sample of '${type}'; give its data with --explain <file.json>. Known types:\n  ${WHIPPY_EVENT_TYPES.join('\n  ')}`,
        );
      }
      return {
        payload: { event: type, data: readJson(new URL(`${type}.json`, FIXTURES)), source },
        stored: false,
      };
    }
    if (existsSync(target)) {
      const parsed = readJson(target) as { event?: unknown; data?: unknown; source?: unknown } | null;
      const envelope =
        parsed !== null &&
        typeof parsed === 'object' &&
        !Array.isArray(parsed) &&
        typeof parsed.event === 'string';
      if (options.type !== undefined) {
        // A whole body given with --type: the type wins, its data is what is routed.
        return {
          payload: { event: options.type, data: envelope ? parsed!.data : parsed, source },
          stored: false,
        };
      }
      if (!envelope) {
        throw new CliError(
          `${target} has no "event": for a bare data object give its type with --type <event-type>`,
        );
      }
      const fileSource = typeof parsed!.source === 'string' ? parsed!.source : undefined;
      return {
        payload: { event: parsed!.event as string, data: parsed!.data, source: source ?? fileSource },
        stored: false,
      };
    }
    if (!EVENT_ID.test(target)) {
      throw new CliError(`${target} is neither a file nor a stored event id`);
    }
    const event = await adminRequest<{ type: string; source: string; rawBody: string }>(
      options,
      'GET',
      `admin/api/events/${encodeURIComponent(target)}`,
    );
    let data: unknown;
    try {
      data = (JSON.parse(event.rawBody) as { data?: unknown }).data;
    } catch {
      throw new CliError(`event ${target} has a body that is not JSON`);
    }
    return {
      payload: { event: options.type ?? event.type, data, source: source ?? event.source },
      stored: true,
    };
  }

  @Option({
    flags: '--env <name>',
    description: 'the environment whose configuration to read (config/<name>.yaml; default: APP_ENV)',
  })
  parseEnv(value: string): string {
    return value;
  }

  @Option({
    flags: '--explain <file-or-event-id>',
    description:
      'a payload file (a whole Whippy body, {"event","data"}, or bare data with --type), or a stored event id',
  })
  parseExplain(value: string): string {
    return value;
  }

  @Option({
    flags: '--type <event-type>',
    description: 'the type of a bare data payload; alone, explains the bundled sample of that type',
  })
  parseType(value: string): string {
    return value;
  }

  @Option({ flags: '--source <name>', description: 'the source the payload arrives on (default: whippy)' })
  parseSource(value: string): string {
    return value;
  }
}

function online(options: RoutesOptions): Promise<RoutesAnswer> {
  return adminRequest<RoutesAnswer>(options, 'GET', 'admin/api/routes');
}

function printExplanation(answer: Explanation, where: string): void {
  print(
    `${answer.type}${answer.known ? '' : ' (unknown type: kept, delivered to nobody)'} — routed by ${where}`,
  );
  for (const s of answer.subscribers)
    print(`  ${s.delivers ? '✓' : '✗'} ${s.id}${s.reason ? `: ${s.reason}` : ''}`);
}

function readJson(file: string | URL): unknown {
  const name = typeof file === 'string' ? file : file.pathname;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${name}: ${describeError(error)}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`cannot read ${name} as JSON: ${describeError(error)}`);
  }
}
