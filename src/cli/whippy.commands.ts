import { Command, CommandRunner, Option, SubCommand } from 'nest-commander';
import { loadAppConfig } from '../app.config.js';
import type { AppConfig } from '../config/app-config.js';
import {
  applyEndpointSync,
  DesiredEndpoint,
  planEndpointSync,
  SyncPlan,
  SyncStep,
} from '../platform/whippy-api/endpoint-sync.js';
import { WhippyApiClient, WhippyApiError } from '../platform/whippy-api/whippy-api.client.js';
import { CliError } from './cli.error.js';

interface SyncOptions {
  apply?: boolean;
  source: string;
}

const print = (line = '') => process.stdout.write(`${line}\n`);

/**
 * `switchyard whippy sync-endpoint [--apply]`: makes the Whippy developer application and its
 * endpoint subscribe to exactly the event types the enabled routes need. A dry run unless
 * --apply.
 */
@SubCommand({
  name: 'sync-endpoint',
  description:
    'create or update the Whippy application and endpoint so it sends exactly the event types the enabled routes need (a dry run unless --apply)',
})
export class SyncEndpointCommand extends CommandRunner {
  async run(_: string[], options: SyncOptions): Promise<void> {
    const config = loadAppConfig({ requireSigningKeys: false });
    const desired = await this.desired(config, options.source);
    const key = config.whippyApi.key;
    if (!key)
      throw new CliError("WHIPPY_API_KEY is not set: it is the key for Whippy's REST API (X-WHIPPY-KEY)");
    const client = new WhippyApiClient({ ...config.whippyApi, key });

    const plan = await whippy(() => planEndpointSync(client, desired));
    if (!config.sources[options.source].keys.includes(key)) {
      print(
        `note: Whippy signs this application's webhooks with WHIPPY_API_KEY, which is not in the key ring of source '${options.source}'; add it to ${options.source === 'whippy' ? 'WHIPPY_SIGNING_KEYS' : `sources.${options.source}.keys`} or its webhooks will be refused.`,
      );
    }
    if (plan.steps.length === 0) {
      print(
        `Whippy is up to date: application "${desired.applicationName}" (${plan.application!.id}) sends ${desired.eventTypes.length} event type(s) to ${desired.url}: ${desired.eventTypes.join(', ')}.`,
      );
      describeOthers(plan);
      return;
    }
    print(`Whippy application "${desired.applicationName}", endpoint ${desired.url}:`);
    for (const step of plan.steps) print(`  ${describe(step, desired)}`);
    describeOthers(plan);
    if (!options.apply) {
      print('Dry run: nothing was changed. Run again with --apply to make these changes.');
      return;
    }
    await whippy(() => applyEndpointSync(client, desired, plan));
    print(`Applied: the endpoint now receives ${desired.eventTypes.join(', ')}.`);
  }

  @Option({ flags: '--apply', description: 'make the changes (without it, only print them)' })
  parseApply(): boolean {
    return true;
  }

  @Option({
    flags: '--source <name>',
    description: 'the configured source whose URL the endpoint posts to',
    defaultValue: 'whippy',
  })
  parseSource(value: string): string {
    return value;
  }

  /** The URL and the types the enabled routes need, from the configuration and the code. */
  private async desired(config: AppConfig, sourceName: string): Promise<DesiredEndpoint> {
    const source = config.sources[sourceName];
    if (!source || source.mode === 'disabled') {
      throw new CliError(
        `no active source '${sourceName}' in the configuration (APP_ENV=${config.env}); configured: ${Object.keys(config.sources).join(', ')}`,
      );
    }
    const publicUrl = config.server.publicUrl;
    if (!publicUrl)
      throw new CliError('PUBLIC_URL is not set: it is the public HTTPS base URL Whippy posts to');
    const { routeTableOf } = await import('./app-context.js');
    const eventTypes = (await routeTableOf(config))
      .table()
      .map((route) => route.type)
      .sort();
    if (eventTypes.length === 0) {
      throw new CliError(
        `no enabled route wants any event type (APP_ENV=${config.env}); enable a subscriber first (switchyard routes shows them)`,
      );
    }
    return {
      applicationName: config.whippyApi.applicationName,
      applicationDescription: `Switchyard (APP_ENV=${config.env}), kept in step by switchyard whippy sync-endpoint`,
      url: `${publicUrl}/webhooks/${sourceName}`,
      eventTypes,
    };
  }
}

/** Whippy's refusals become one clear line; the key is never part of it. */
async function whippy<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!(error instanceof WhippyApiError)) throw error;
    const hint =
      error.status === 401 || error.status === 403 ? ' (check WHIPPY_API_KEY: Whippy did not accept it)' : '';
    throw new CliError(`Whippy's API: ${error.message}${hint}`);
  }
}

function describe(step: SyncStep, desired: DesiredEndpoint): string {
  switch (step.kind) {
    case 'create-application':
      return `+ create application "${step.name}" (active)`;
    case 'enable-application':
      return `~ enable application "${step.name}" (${step.id}): it is switched off`;
    case 'create-endpoint':
      return `+ create endpoint ${step.url} (active) with ${step.eventTypes.length} event type(s): ${step.eventTypes.join(', ')}`;
    case 'update-endpoint': {
      const changes = [
        step.add.length ? `add ${step.add.join(', ')}` : '',
        step.remove.length ? `remove ${step.remove.join(', ')}` : '',
        step.enable ? 'switch it on' : '',
      ].filter(Boolean);
      return `~ update endpoint ${step.id} (${desired.url}): ${changes.join('; ')}`;
    }
  }
}

function describeOthers(plan: SyncPlan): void {
  for (const other of plan.others) {
    print(`  (left alone: endpoint ${other.id} ${other.url}, ${other.active ? 'active' : 'inactive'})`);
  }
}

/** `switchyard whippy <command>`: Whippy's REST API. */
@Command({
  name: 'whippy',
  description: "Whippy's REST API: sync-endpoint",
  subCommands: [SyncEndpointCommand],
})
export class WhippyCommand extends CommandRunner {
  async run(): Promise<void> {
    this.command.help();
  }
}
