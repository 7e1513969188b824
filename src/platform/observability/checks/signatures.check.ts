import { Injectable } from '@nestjs/common';
import { EventReadsRepository } from '../../store/event-reads.repository.js';
import { SourceRegistry } from '../../webhooks/sources.service.js';
import {
  FailureCause,
  VerificationDiagnostics,
  VerificationFailure,
} from '../../webhooks/verification-diagnostics.service.js';
import { DoctorCheck, Finding } from '../finding.js';

/** Every failure kept in memory is read; the ring holds at most diagnostics.maxFailures. */
const ALL = Number.MAX_SAFE_INTEGER;

const ringOf = (source: string) => (source === 'whippy' ? 'WHIPPY_SIGNING_KEYS' : `sources.${source}.keys`);

/** For each cause: a title, and the fix in words. */
const CAUSES: Record<FailureCause, { title: string; fix: (source: string) => string }> = {
  wrong_key: {
    title: 'the signing key is wrong',
    fix: (s) =>
      `Put the API key selected for the Whippy developer application (Developers → Webhooks → the application → its API key) first in ${ringOf(s)}, and restart. When you rotate, keep the old key after the new one until Whippy signs with the new one.`,
  },
  retired_key: {
    title: 'Whippy still signs with a retired key',
    fix: (s) =>
      `Whippy's application still signs with a key that was taken out of the ring. Switch the application to the current key in Whippy, or put the old key back in ${ringOf(s)} (after the current one) until it is switched.`,
  },
  clock_skew: {
    title: 'timestamps are outside the tolerance (clock skew)',
    fix: (s) =>
      `The signatures are right but the timestamps are off: synchronise this machine's clock (NTP, e.g. \`timedatectl set-ntp true\`). If the clock is right, old requests are being replayed. sources.${s}.toleranceSeconds sets the window.`,
  },
  body_altered: {
    title: 'the body was altered in transit',
    fix: () =>
      'Something between Whippy and Switchyard (a proxy, an API gateway, a load balancer) rewrites the body. Pass the body of requests to /webhooks/* through byte for byte.',
  },
  missing_header: {
    title: 'requests carry no signature header',
    fix: (s) =>
      `Requests without the scheme's signature header reach /webhooks/${s}: another sender than Whippy, a proxy that drops headers, or the wrong sources.${s}.scheme.`,
  },
  malformed_header: {
    title: 'the signature header is malformed',
    fix: (s) =>
      `The signature header is not in the format of the ${s} source's scheme: check sources.${s}.scheme, and that no proxy rewrites the header.`,
  },
  other_source: {
    title: 'requests are signed for another source',
    fix: (s) =>
      `The requests are signed with the key of another configured source: point the Whippy endpoint at that source's URL (see the evidence), or move the key into ${ringOf(s)}.`,
  },
  wrong_scheme: {
    title: 'requests are signed with another scheme',
    fix: (s) => `Set sources.${s}.scheme to the scheme named in the evidence.`,
  },
};

/** "Signature verification fails", by cause: the failures the guard kept, grouped and explained. */
@Injectable()
export class SignaturesCheck implements DoctorCheck {
  readonly name = 'signatures';
  private readonly since = new Date().toISOString();

  constructor(
    private readonly diagnostics: VerificationDiagnostics,
    private readonly sources: SourceRegistry,
    private readonly events: EventReadsRepository,
  ) {}

  async run(): Promise<Finding[]> {
    const groups = new Map<string, VerificationFailure[]>();
    for (const failure of this.diagnostics.list({ limit: ALL })) {
      const key = `${failure.source}\u0000${failure.cause}`;
      const group = groups.get(key);
      if (group) group.push(failure);
      else groups.set(key, [failure]);
    }
    const findings: Finding[] = [];
    for (const failures of groups.values()) findings.push(await this.failed(failures));
    for (const { config } of this.sources.all()) {
      const rotation = await this.oldKeyInUse(config.name);
      if (rotation) findings.push(rotation);
    }
    if (groups.size === 0) {
      findings.push({
        id: 'signature.ok',
        severity: 'ok',
        title: 'No signature failures',
        evidence: `No request was refused with 401 since this process started (${this.since}).`,
        fix: 'Nothing to do.',
      });
    }
    return findings;
  }

  /** Newest first, as the diagnostics list them. */
  private async failed(failures: VerificationFailure[]): Promise<Finding> {
    const [latest] = failures;
    const first = failures[failures.length - 1];
    const { source, cause } = latest;
    const newest = await this.events.newestOfSource(source);
    // Failures while events still get through (another sender, a second endpoint) are a
    // warning; when nothing has been accepted since, Whippy's deliveries are being refused.
    const acceptedSince = newest !== undefined && newest.receivedAt > latest.at;
    const evidence = [
      `${failures.length} request(s) to /webhooks/${source} refused with 401 between ${first.at} and ${latest.at}`,
      `latest: ${latest.reason} (${latest.detail})`,
    ];
    if (cause === 'clock_skew' && latest.timestampSkewSeconds !== undefined) {
      evidence.push(
        `the request's timestamp was ${Math.abs(latest.timestampSkewSeconds)} s ${latest.timestampSkewSeconds > 0 ? 'behind' : 'ahead of'} this machine's clock`,
      );
    }
    if (latest.alternatives.length) evidence.push(`what matched instead: ${latest.alternatives.join('; ')}`);
    evidence.push(
      acceptedSince
        ? `events were accepted since (the newest at ${newest.receivedAt})`
        : 'no event has been accepted on this source since',
    );
    return {
      id: `signature.${cause.replace(/_/g, '-')}`,
      severity: acceptedSince ? 'warning' : 'error',
      source,
      title: `Signatures fail on source ${source}: ${CAUSES[cause].title}`,
      evidence: `${evidence.join('; ')}.`,
      fix: CAUSES[cause].fix(source),
    };
  }

  /** The newest accepted event was verified with an older key of the ring: a rotation is half done. */
  private async oldKeyInUse(source: string): Promise<Finding | undefined> {
    const event = await this.events.newestOfSource(source);
    if (!event) return undefined;
    let keyIndex: unknown;
    try {
      keyIndex = (JSON.parse(event.verification) as { keyIndex?: unknown }).keyIndex;
    } catch {
      return undefined;
    }
    if (typeof keyIndex !== 'number' || keyIndex === 0) return undefined;
    return {
      id: 'signature.old-key-in-use',
      severity: 'info',
      source,
      title: `Whippy signs source ${source} with an older key of the ring`,
      evidence: `The newest event (${event.id}, ${event.receivedAt}) was verified with key #${keyIndex} of the ring, not with the current key #0.`,
      fix: `Finish the rotation: switch the Whippy application to the current key; once new events show keyIndex 0, remove the old key from ${ringOf(source)}.`,
    };
  }
}
