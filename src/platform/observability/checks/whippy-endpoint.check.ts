import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig, WhippyApiConfig } from '../../../config/app-config.js';
import { DeliveryEngine } from '../../bus/delivery-engine.service.js';
import { planEndpointSync } from '../../whippy-api/endpoint-sync.js';
import { WhippyApiClient, WhippyApiError } from '../../whippy-api/whippy-api.client.js';
import { DoctorCheck, Finding } from '../finding.js';

/** The doctor does not wait on Whippy longer than this, whatever whippyApi.timeoutMs says. */
const TIMEOUT_MS = 5000;
const SOURCE = 'whippy';

/**
 * "The webhook is inactive", read at the source: with WHIPPY_API_KEY and PUBLIC_URL set, the
 * application and the endpoint as Whippy holds them. Without them there is nothing to read.
 */
@Injectable()
export class WhippyEndpointCheck implements DoctorCheck {
  readonly name = 'whippy-endpoint';
  private readonly api: WhippyApiConfig;
  private readonly publicUrl?: string;

  constructor(
    private readonly engine: DeliveryEngine,
    config: ConfigService<AppConfig, true>,
  ) {
    this.api = config.get('whippyApi', { infer: true });
    this.publicUrl = config.get('server', { infer: true }).publicUrl;
  }

  async run(): Promise<Finding[]> {
    if (!this.api.key || !this.publicUrl) return [];
    const client = new WhippyApiClient({
      ...this.api,
      key: this.api.key,
      timeoutMs: Math.min(this.api.timeoutMs, TIMEOUT_MS),
    });
    const url = `${this.publicUrl}/webhooks/${SOURCE}`;
    const name = this.api.applicationName;
    const sync = '`switchyard whippy sync-endpoint --apply` sets it right.';
    const finding = (
      id: string,
      severity: Finding['severity'],
      title: string,
      evidence: string,
      fix: string,
    ) => [{ id, severity, source: SOURCE, title, evidence, fix }];
    let plan;
    try {
      plan = await planEndpointSync(client, {
        applicationName: name,
        applicationDescription: '',
        url,
        eventTypes: this.engine.routeTable
          .table()
          .map((route) => route.type)
          .sort(),
      });
    } catch (error) {
      if (!(error instanceof WhippyApiError)) throw error;
      return finding(
        'whippy.unreadable',
        'warning',
        "Whippy's API could not be read",
        error.message,
        error.status === 401 || error.status === 403
          ? 'Whippy did not accept WHIPPY_API_KEY: set it to a valid API key of the organisation.'
          : 'Check that https://api.whippy.co (whippyApi.baseUrl) is reachable from here.',
      );
    }
    if (!plan.application) {
      return finding(
        'whippy.application-missing',
        'warning',
        `No Whippy application "${name}" for this API key`,
        `The key's developer applications do not include one named "${name}" (whippyApi.applicationName).`,
        `Create it on Whippy's Developers → Webhooks page with an endpoint at ${url}, or: ${sync}`,
      );
    }
    if (!plan.application.active) {
      return finding(
        'whippy.application-off',
        'error',
        `The Whippy application "${name}" is switched off`,
        `Whippy holds application ${plan.application.id} as inactive: it sends no webhook at all.`,
        `Re-enable it on Whippy's Developers → Webhooks page. ${sync}`,
      );
    }
    if (!plan.endpoint) {
      return finding(
        'whippy.endpoint-missing',
        'error',
        `No endpoint of "${name}" posts to ${url}`,
        `The application's endpoints post to: ${plan.others.map((e) => e.url).join(', ') || 'nowhere (it has none)'}.`,
        `Add an endpoint with the URL ${url} in Whippy. ${sync}`,
      );
    }
    if (!plan.endpoint.active) {
      return finding(
        'whippy.endpoint-off',
        'error',
        `The Whippy endpoint ${url} is switched off`,
        `Whippy holds endpoint ${plan.endpoint.id} of application "${name}" as inactive.`,
        `Re-enable it on Whippy's Developers → Webhooks page. ${sync}`,
      );
    }
    const step = plan.steps.find((s) => s.kind === 'update-endpoint');
    if (step?.kind === 'update-endpoint') {
      return finding(
        'whippy.types-differ',
        step.add.length ? 'warning' : 'info',
        'The Whippy endpoint subscribes to other types than the routes need',
        [
          step.add.length && `missing: ${step.add.join(', ')}`,
          step.remove.length && `not needed: ${step.remove.join(', ')}`,
        ]
          .filter(Boolean)
          .join('; ')
          .concat('.'),
        `Edit the endpoint's events in Whippy: add ${step.add.join(', ') || 'nothing'}, remove ${step.remove.join(', ') || 'nothing'}. ${sync}`,
      );
    }
    return finding(
      'whippy.endpoint-ok',
      'ok',
      'The Whippy application and endpoint are on',
      `Application "${name}" and its endpoint ${url} are active in Whippy and subscribe to exactly the routes' types.`,
      'Nothing to do.',
    );
  }
}
