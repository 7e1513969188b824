import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../../config/app-config.js';
import { parseWhippyEvent, WhippyObject } from '../../events/index.js';
import { whippyName } from '../../events/whippy-fields.js';
import { EventReadsRepository, type RecentEvent } from '../../store/event-reads.repository.js';
import { DoctorCheck, duration, Finding } from '../finding.js';

/** The newest events read for unknown fields; parsing is the cost, so it is bounded. */
const SAMPLE = 1000;
/** Fields or problems listed in one finding; the rest are counted. */
const LISTED = 20;

interface Seen {
  count: number;
  types: Set<string>;
  firstSeen: string;
  exampleId: string;
  message?: string;
}

/**
 * "Unexpected payloads" from Whippy's side: fields the catalog does not know (kept in
 * `extra`) and events that failed validation, by field, over a bounded recent window.
 */
@Injectable()
export class SchemaDriftCheck implements DoctorCheck {
  readonly name = 'schema-drift';
  private readonly windowMs: number;

  constructor(
    private readonly events: EventReadsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.windowMs = config.get('diagnostics', { infer: true }).windowHours * 3_600_000;
  }

  async run(now: Date): Promise<Finding[]> {
    const since = new Date(now.getTime() - this.windowMs);
    const findings: Finding[] = [];
    const valid = await this.events.recent({ since, limit: SAMPLE, statuses: ['routed', 'unrouted'] });
    const extra = new Map<string, Seen>();
    for (const event of valid) {
      const parsed = parseWhippyEvent({
        id: event.id,
        type: event.type,
        source: event.source,
        requestId: '',
        receivedAt: new Date(event.receivedAt),
        data: dataOf(event),
      });
      if (parsed.status !== 'valid') continue;
      const paths = new Set<string>();
      extraPaths(parsed.event.data, 'data', paths);
      for (const path of paths) note(extra, path, event);
    }
    if (extra.size) {
      findings.push({
        id: 'schema.extra-fields',
        severity: 'info',
        title: 'Whippy sends fields the catalog does not know',
        evidence: `In the newest ${valid.length} event(s) of the last ${duration(this.windowMs)}: ${describe(extra)}. They are kept in data.extra.`,
        fix: 'Add the fields to the event classes in src/platform/events/ (one decorator per field) so integrations read them typed; until then they are in data.extra, snake_case, as received.',
      });
    }

    const invalid = await this.events.recent({ since, limit: SAMPLE, statuses: ['invalid'] });
    const problems = new Map<string, Seen>();
    for (const event of invalid) {
      for (const error of errorsOf(event)) {
        const colon = error.indexOf(': ');
        const field = colon > 0 ? error.slice(0, colon) : error;
        note(problems, field, event, colon > 0 ? error.slice(colon + 2) : undefined);
      }
    }
    if (invalid.length) {
      findings.push({
        id: 'schema.invalid-events',
        severity: 'warning',
        title: `${invalid.length} event(s) failed validation and were not delivered`,
        evidence: `In the last ${duration(this.windowMs)}, by field: ${describe(problems)}.`,
        fix: 'The events are kept. Loosen or correct the field in the catalog (src/platform/events/) to what Whippy sends, deploy, then replay them: `switchyard replay <event-id>`.',
      });
    }
    if (findings.length === 0) {
      findings.push({
        id: 'schema.ok',
        severity: 'ok',
        title: 'Payloads match the catalog',
        evidence: `No unknown field in the newest ${valid.length} event(s) and no invalid event in the last ${duration(this.windowMs)}.`,
        fix: 'Nothing to do.',
      });
    }
    return findings;
  }
}

function dataOf(event: RecentEvent): Record<string, unknown> {
  try {
    return (JSON.parse(event.rawBody.toString('utf8')) as { data: Record<string, unknown> }).data;
  } catch {
    return {};
  }
}

function errorsOf(event: RecentEvent): string[] {
  try {
    const errors: unknown = JSON.parse(event.errors ?? '[]');
    return Array.isArray(errors) ? errors.map(String) : [];
  } catch {
    return [];
  }
}

/** Whippy paths (`data.contact.new_field`, `data.attachments[].size`) of every `extra` key. */
function extraPaths(value: unknown, path: string, out: Set<string>): void {
  if (Array.isArray(value)) {
    for (const item of value) extraPaths(item, `${path}[]`, out);
    return;
  }
  if (!(value instanceof WhippyObject)) return;
  for (const key of Object.keys(value.extra ?? {})) out.add(`${path}.${key}`);
  for (const [property, child] of Object.entries(value)) {
    if (property !== 'extra') extraPaths(child, `${path}.${whippyName(property)}`, out);
  }
}

/** Events are read newest first, so the last one noted is the first seen. */
function note(map: Map<string, Seen>, key: string, event: RecentEvent, message?: string): void {
  const seen = map.get(key);
  if (!seen) {
    map.set(key, {
      count: 1,
      types: new Set([event.type]),
      firstSeen: event.receivedAt,
      exampleId: event.id,
      message,
    });
    return;
  }
  seen.count++;
  seen.types.add(event.type);
  seen.firstSeen = event.receivedAt;
}

function describe(map: Map<string, Seen>): string {
  const rows = [...map.entries()].sort((a, b) => b[1].count - a[1].count);
  const listed = rows
    .slice(0, LISTED)
    .map(
      ([key, seen]) =>
        `${key}${seen.message ? ` (${seen.message})` : ''} in ${[...seen.types].join(', ')}: ${seen.count} event(s), first seen ${seen.firstSeen}, e.g. event ${seen.exampleId}`,
    );
  if (rows.length > LISTED) listed.push(`and ${rows.length - LISTED} more`);
  return listed.join('; ');
}
