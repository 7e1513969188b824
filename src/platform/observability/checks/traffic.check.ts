import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../../config/app-config.js';
import { EventReadsRepository } from '../../store/event-reads.repository.js';
import { SourceRegistry } from '../../webhooks/sources.service.js';
import { DoctorCheck, duration, Finding } from '../finding.js';

/** "The endpoint receives nothing" and "the webhook is inactive": per source, when did events last arrive. */
@Injectable()
export class TrafficCheck implements DoctorCheck {
  readonly name = 'traffic';
  private readonly silenceMs: number;
  private readonly publicUrl?: string;

  constructor(
    private readonly sources: SourceRegistry,
    private readonly events: EventReadsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    this.silenceMs = config.get('diagnostics', { infer: true }).silenceMinutes * 60_000;
    this.publicUrl = config.get('server', { infer: true }).publicUrl;
  }

  async run(now: Date): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const { config } of this.sources.all()) {
      if (config.mode === 'disabled') continue;
      findings.push(await this.source(config.name, now));
    }
    return findings;
  }

  private async source(source: string, now: Date): Promise<Finding> {
    const url = `${this.publicUrl ?? 'https://<your host>'}/webhooks/${source}`;
    const endpointFix =
      `In Whippy (Developers → Webhooks) check that the endpoint URL is ${url}, that both the ` +
      'application and the endpoint are enabled, and that its events are selected ' +
      '(`switchyard whippy sync-endpoint --apply` does all three).';
    const newest = await this.events.newestOfSource(source);
    if (!newest) {
      return {
        id: 'source.never-received',
        severity: 'warning',
        source,
        title: `Nothing ever received on source ${source}`,
        evidence: `No event has been stored for source '${source}' (POST /webhooks/${source}) since the store was created.`,
        fix: `${endpointFix} The URL must be public HTTPS: Whippy cannot reach localhost.`,
      };
    }
    const last = new Date(newest.receivedAt);
    const quietMs = now.getTime() - last.getTime();
    if (quietMs <= this.silenceMs) {
      return {
        id: 'source.receiving',
        severity: 'ok',
        source,
        title: `Source ${source} receives events`,
        evidence: `The last event arrived ${duration(quietMs)} ago (${newest.receivedAt}).`,
        fix: 'Nothing to do.',
      };
    }
    // Steady: the last event was not alone in the silenceMinutes before it.
    const before = await this.events.countOfSource(
      source,
      new Date(last.getTime() - this.silenceMs),
      new Date(last.getTime() + 1),
    );
    const window = duration(this.silenceMs);
    if (before >= 2) {
      return {
        id: 'source.silent',
        severity: 'error',
        source,
        title: `Source ${source} went silent`,
        evidence: `Source '${source}' received ${before} events in the ${window} up to ${newest.receivedAt}, then nothing for ${duration(quietMs)} (diagnostics.silenceMinutes is ${this.silenceMs / 60_000}).`,
        fix: `The application or the endpoint was probably switched off in Whippy, or its events deselected. ${endpointFix} If the traffic really stopped, raise diagnostics.silenceMinutes.`,
      };
    }
    return {
      id: 'source.quiet',
      severity: 'info',
      source,
      title: `Source ${source} is quiet`,
      evidence: `The last event arrived ${duration(quietMs)} ago (${newest.receivedAt}); it was the only one in the ${window} before it, too sparse to call this a silence.`,
      fix: `Nothing to do if the traffic is this sparse; otherwise: ${endpointFix}`,
    };
  }
}
