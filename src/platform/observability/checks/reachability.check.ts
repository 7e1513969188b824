import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../../../config/app-config.js';
import { DoctorCheck, Finding } from '../finding.js';

const TIMEOUT_MS = 5000;

/** "The URL is not publicly reachable": this service asks for its own /health/live through PUBLIC_URL. */
@Injectable()
export class ReachabilityCheck implements DoctorCheck {
  readonly name = 'reachability';
  private readonly publicUrl?: string;

  constructor(config: ConfigService<AppConfig, true>) {
    this.publicUrl = config.get('server', { infer: true }).publicUrl;
  }

  async run(): Promise<Finding[]> {
    if (!this.publicUrl) {
      return [
        {
          id: 'public-url.unset',
          severity: 'info',
          title: 'PUBLIC_URL is not set',
          evidence:
            'Without PUBLIC_URL the doctor cannot check that the URL Whippy posts to reaches this service.',
          fix: 'Set PUBLIC_URL to the public HTTPS base URL of this service (https://hooks.example.com).',
        },
      ];
    }
    const url = `${this.publicUrl}/health/live`;
    let problem: string | undefined;
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'follow' });
      await res.arrayBuffer();
      if (!res.ok) problem = `GET ${url} answered ${res.status}`;
    } catch (error) {
      problem = `GET ${url} failed: ${reason(error)}`;
    }
    if (problem) {
      return [
        {
          id: 'public-url.unreachable',
          severity: 'error',
          title: 'This service is not reachable through PUBLIC_URL',
          evidence: `${problem} (timeout ${TIMEOUT_MS / 1000} s).`,
          fix: `Make ${this.publicUrl} route to this service: DNS, the TLS certificate, and the reverse proxy's route to /webhooks and /health. Whippy cannot deliver until it does.`,
        },
      ];
    }
    if (!this.publicUrl.startsWith('https://')) {
      return [
        {
          id: 'public-url.not-https',
          severity: 'warning',
          title: 'PUBLIC_URL is not HTTPS',
          evidence: `GET ${url} answered, but ${this.publicUrl} is plain HTTP.`,
          fix: 'Whippy needs a public HTTPS URL: put TLS in front of this service and set PUBLIC_URL to the https:// address.',
        },
      ];
    }
    return [
      {
        id: 'public-url.reachable',
        severity: 'ok',
        title: 'This service is reachable through PUBLIC_URL',
        evidence: `GET ${url} answered 2xx. (This proves DNS, TLS and routing from here; a firewall that only lets some senders in is not tested.)`,
        fix: 'Nothing to do.',
      },
    ];
  }
}

/** ECONNREFUSED, ENOTFOUND, a timeout: the useful part of a fetch error (of any realm). */
function reason(error: unknown): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(error);
}
