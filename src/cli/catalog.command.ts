import { Command, CommandRunner, Option } from 'nest-commander';
import { loadAppConfig } from '../app.config.js';
import { routeTableOf } from './app-context.js';
import { describeFields, EVENT_CLASSES, type FieldDescription } from '../platform/events/index.js';
import { invalidArgument } from './cli.error.js';

type Format = 'md' | 'json';

export interface CatalogEntry {
  type: string;
  class: string;
  dataClass: string;
  fields: FieldDescription[];
  /** The subscribers that get events of this type in this environment. */
  subscribers: string[];
}

/**
 * `switchyard catalog`: every Whippy event type the code knows, its fields with their types,
 * and which subscribers take it under this environment's routes.
 */
@Command({
  name: 'catalog',
  description:
    'print the event catalog: every type, its fields and types, and its subscribers in this environment',
})
export class CatalogCommand extends CommandRunner {
  async run(_: string[], options: { format?: Format }): Promise<void> {
    const config = loadAppConfig({ requireSigningKeys: false });
    const routes = await routeTableOf(config);
    const taking = new Map<string, string[]>();
    for (const subscriber of routes.subscribers()) {
      if (!subscriber.enabled) continue;
      for (const type of subscriber.types) taking.set(type, [...(taking.get(type) ?? []), subscriber.id]);
    }
    const entries: CatalogEntry[] = Object.entries(EVENT_CLASSES).map(([type, eventClass]) => ({
      type,
      class: eventClass.name,
      dataClass: eventClass.dataClass.name,
      fields: describeFields(eventClass.dataClass),
      subscribers: (taking.get(type) ?? []).sort(),
    }));
    process.stdout.write(
      options.format === 'json'
        ? `${JSON.stringify({ env: config.env, types: entries }, null, 2)}\n`
        : markdown(config.env, entries),
    );
  }

  @Option({ flags: '--format <md|json>', description: 'Markdown tables (default) or JSON' })
  parseFormat(value: string): Format {
    if (value !== 'md' && value !== 'json')
      throw invalidArgument(`--format must be md or json, not '${value}'`);
    return value;
  }
}

function markdown(env: string, entries: CatalogEntry[]): string {
  const out = [`# Whippy event catalog (APP_ENV=${env})`, ''];
  for (const entry of entries) {
    out.push(`## ${entry.type}`, '');
    out.push(`\`${entry.class}\`, data \`${entry.dataClass}\`.`, '');
    out.push(`Subscribers here: ${entry.subscribers.length ? entry.subscribers.join(', ') : 'none'}.`, '');
    out.push('| field | type |', '|---|---|');
    for (const [path, type] of flatten(entry.fields))
      out.push(`| \`${path}\` | ${type.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}

/** `data.contact.first_name`-style paths (Whippy's names, as filters use them). */
function flatten(fields: FieldDescription[], prefix = 'data.'): [string, string][] {
  return fields.flatMap((field): [string, string][] => {
    const path = `${prefix}${field.name}`;
    const type = field.class ? `${field.type} (${field.class})` : field.type;
    return [[path, type], ...flatten(field.fields ?? [], `${path}${field.type === 'object[]' ? '[]' : ''}.`)];
  });
}
