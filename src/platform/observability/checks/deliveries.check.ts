import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../../config/app-config.js';
import { DeliveryEngine } from '../../bus/delivery-engine.service.js';
import { DeliveryReadsRepository } from '../../store/delivery-reads.repository.js';
import { timeOfId } from '../../store/ids.js';
import { clip, DoctorCheck, duration, Finding } from '../finding.js';

/** Dead deliveries and backlogs that do not drain, per subscriber. */
@Injectable()
export class DeliveriesCheck implements DoctorCheck {
  readonly name = 'deliveries';
  private readonly windowMs: number;
  private readonly backlogMs: number;
  /** The backlog seen by the previous run, to say whether it grows. */
  private readonly previous = new Map<string, { size: number; at: string }>();

  constructor(
    private readonly engine: DeliveryEngine,
    private readonly deliveries: DeliveryReadsRepository,
    config: ConfigService<AppConfig, true>,
  ) {
    const diagnostics = config.get('diagnostics', { infer: true });
    this.windowMs = diagnostics.windowHours * 3_600_000;
    this.backlogMs = diagnostics.backlogMinutes * 60_000;
  }

  async run(now: Date): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const { id } of this.engine.routeTable.subscribers()) {
      const dead = await this.dead(id, now);
      if (dead) findings.push(dead);
      const backlog = await this.backlog(id, now);
      if (backlog) findings.push(backlog);
    }
    if (findings.length === 0) {
      findings.push({
        id: 'delivery.ok',
        severity: 'ok',
        title: 'Deliveries flow',
        evidence: `No dead delivery, and no subscriber has an unfinished delivery older than ${duration(this.backlogMs)}.`,
        fix: 'Nothing to do.',
      });
    }
    return findings;
  }

  private async dead(subscriber: string, now: Date): Promise<Finding | undefined> {
    const { count, newest } = await this.deliveries.deadLetters(subscriber);
    if (count === 0 || !newest) return undefined;
    const finished = newest.finishedAt ? new Date(newest.finishedAt) : timeOfId(newest.id);
    const recent = now.getTime() - finished.getTime() <= this.windowMs;
    return {
      id: 'delivery.dead',
      severity: recent ? 'error' : 'info',
      subscriber,
      title: `${count} dead ${count === 1 ? 'delivery' : 'deliveries'} for ${subscriber}`,
      evidence: `The newest, delivery ${newest.id} of event ${newest.eventId}, gave up at ${finished.toISOString()}${recent ? '' : ` (older than ${duration(this.windowMs)})`}: ${clip(newest.lastError ?? 'no error recorded')}.`,
      fix: `Fix what the error says (the subscriber's target, its credentials, or its code), then run them again: \`switchyard redrive ${subscriber}\` (POST /admin/api/subscribers/${subscriber}/redrive), or \`switchyard retry ${newest.id}\` for one.`,
    };
  }

  private async backlog(subscriber: string, now: Date): Promise<Finding | undefined> {
    const backlog = await this.deliveries.backlog(subscriber);
    const size = backlog.pending + backlog.running + backlog.failed;
    const before = this.previous.get(subscriber);
    this.previous.set(subscriber, { size, at: now.toISOString() });
    if (!backlog.oldestId) return undefined;
    const age = now.getTime() - timeOfId(backlog.oldestId).getTime();
    if (age <= this.backlogMs) return undefined;
    const growth =
      before === undefined
        ? ''
        : size > before.size
          ? `; it grew from ${before.size} at ${before.at}`
          : `; it was ${before.size} at ${before.at}`;
    const lastError = backlog.failed > 0 ? await this.deliveries.newestFailure(subscriber) : undefined;
    return {
      id: 'delivery.backlog',
      severity: 'warning',
      subscriber,
      title: `Deliveries to ${subscriber} are backing up`,
      evidence: `${size} unfinished (${backlog.pending} pending, ${backlog.running} running, ${backlog.failed} failed and waiting for a retry); the oldest was created ${duration(age)} ago${growth}${lastError ? `. Latest error: ${clip(lastError)}` : ''}.`,
      fix: 'A failing subscriber retries with backoff until it succeeds or dies: fix what the latest error says. A slow one needs a faster target or a higher delivery.concurrency.',
    };
  }
}
