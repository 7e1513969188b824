import { Injectable, Logger } from '@nestjs/common';
import { DeliveriesCheck } from './checks/deliveries.check.js';
import { EventTypesCheck } from './checks/event-types.check.js';
import { ReachabilityCheck } from './checks/reachability.check.js';
import { SchemaDriftCheck } from './checks/schema-drift.check.js';
import { SignaturesCheck } from './checks/signatures.check.js';
import { TrafficCheck } from './checks/traffic.check.js';
import { WhippyEndpointCheck } from './checks/whippy-endpoint.check.js';
import { DiagnosticsReport, DoctorCheck, FAILING, Finding, Severity } from './finding.js';

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2, ok: 3 };

/**
 * Whippy's troubleshooting table, checked by the service itself: each check reads what the
 * service already knows (the store, the kept verification failures, the routes) and says
 * what it saw and what to do. A check that breaks is a finding of its own, never a 500.
 */
@Injectable()
export class Doctor {
  private readonly logger = new Logger('Doctor');
  private readonly checks: DoctorCheck[];

  constructor(
    traffic: TrafficCheck,
    reachability: ReachabilityCheck,
    signatures: SignaturesCheck,
    types: EventTypesCheck,
    deliveries: DeliveriesCheck,
    drift: SchemaDriftCheck,
    whippy: WhippyEndpointCheck,
  ) {
    this.checks = [traffic, reachability, whippy, signatures, types, deliveries, drift];
  }

  async examine(now = new Date()): Promise<DiagnosticsReport> {
    const results = await Promise.all(this.checks.map((check) => this.run(check, now)));
    const findings = results.flat().sort((a, b) => ORDER[a.severity] - ORDER[b.severity]);
    return {
      ok: !findings.some((finding) => FAILING.includes(finding.severity)),
      checkedAt: now.toISOString(),
      findings,
    };
  }

  private async run(check: DoctorCheck, now: Date): Promise<Finding[]> {
    try {
      return await check.run(now);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.logger.warn(`the ${check.name} check failed: ${message}`);
      return [
        {
          id: `doctor.${check.name}-failed`,
          severity: 'error',
          title: `The ${check.name} check could not run`,
          evidence: message,
          fix: 'Check that the store answers (GET /health/ready) and look at the service log.',
        },
      ];
    }
  }
}
