import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../../config/app-config.js';
import { DeliveryEngine } from '../../bus/delivery-engine.service.js';
import { EventReadsRepository } from '../../store/event-reads.repository.js';
import { DoctorCheck, duration, Finding } from '../finding.js';

/**
 * "No events arrive" (a type not selected in Whippy) and "unexpected payloads" (subscribed too
 * broadly): the types the enabled routes want against the types that arrive.
 */
@Injectable()
export class EventTypesCheck implements DoctorCheck {
  readonly name = 'event-types';
  private readonly windowMs: number;

  constructor(
    private readonly engine: DeliveryEngine,
    private readonly events: EventReadsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.windowMs = config.get('diagnostics', { infer: true }).windowHours * 3_600_000;
  }

  async run(now: Date): Promise<Finding[]> {
    const wanted = new Map<string, string[]>();
    for (const { type, subscribers } of this.engine.routeTable.table())
      wanted.set(
        type,
        subscribers.map((s) => s.id),
      );
    const findings: Finding[] = [];

    const missing: string[] = [];
    for (const type of [...wanted.keys()].sort()) {
      if (!(await this.events.newestOfType(type))) missing.push(type);
    }
    if (missing.length) {
      findings.push({
        id: 'types.never-arrived',
        severity: 'warning',
        title: 'Event types the routes want never arrived',
        evidence: `The enabled routes want ${missing
          .map((type) => `${type} (${wanted.get(type)!.join(', ')})`)
          .join(', ')}, but no such event was ever received.`,
        fix: `Select these event types on the endpoint in Whippy (Developers → Webhooks → the endpoint → events): ${missing.join(', ')}. \`switchyard whippy sync-endpoint --apply\` selects exactly what the routes need.`,
      });
    }

    const since = new Date(now.getTime() - this.windowMs);
    const unwanted = (await this.events.typesByStatus(['unrouted', 'unknown'], since))
      .filter((row) => !wanted.has(row.type))
      .sort((a, b) => b.count - a.count);
    if (unwanted.length) {
      const types = [...new Set(unwanted.map((row) => row.type))];
      findings.push({
        id: 'types.unwanted',
        severity: 'info',
        title: 'Whippy sends event types no route wants',
        evidence: `In the last ${duration(this.windowMs)}: ${unwanted
          .map(
            (row) =>
              `${row.type} ×${row.count}${row.status === 'unknown' ? ' (a type the catalog does not know)' : ''} (e.g. event ${row.lastId})`,
          )
          .join(', ')}. Each is stored and delivered to nobody.`,
        fix: `Deselect ${types.join(', ')} on the endpoint in Whippy (or run \`switchyard whippy sync-endpoint --apply\`), or route them to a subscriber. A type the catalog does not know may be new in Whippy: add it to src/platform/events/.`,
      });
    }
    if (findings.length === 0) {
      findings.push({
        id: 'types.ok',
        severity: 'ok',
        title: 'The event types that arrive are the ones the routes want',
        evidence: wanted.size
          ? `Every type the enabled routes want has arrived (${[...wanted.keys()].sort().join(', ')}); nothing unrouted in the last ${duration(this.windowMs)}.`
          : `No route is enabled and nothing unrouted arrived in the last ${duration(this.windowMs)}.`,
        fix: 'Nothing to do.',
      });
    }
    return findings;
  }
}
