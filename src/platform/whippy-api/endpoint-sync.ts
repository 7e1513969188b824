import { WhippyApiClient, WhippyApplication, WhippyEndpoint } from './whippy-api.client.js';

/** What Whippy should hold: one active application with one active endpoint at `url`. */
export interface DesiredEndpoint {
  applicationName: string;
  applicationDescription: string;
  url: string;
  /** Exactly these types, sorted. */
  eventTypes: string[];
}

export type SyncStep =
  | { kind: 'create-application'; name: string }
  | { kind: 'enable-application'; id: string; name: string }
  | { kind: 'create-endpoint'; url: string; eventTypes: string[] }
  | {
      kind: 'update-endpoint';
      id: string;
      url: string;
      add: string[];
      remove: string[];
      enable: boolean;
    };

export interface SyncPlan {
  application?: WhippyApplication;
  endpoint?: WhippyEndpoint;
  /** The application's other endpoints: left alone. */
  others: WhippyEndpoint[];
  steps: SyncStep[];
}

/** The same URL, whatever the case of the host or a trailing slash. */
export function sameUrl(a: string, b: string): boolean {
  const normal = (url: string) => {
    try {
      const parsed = new URL(url);
      return `${parsed.protocol}//${parsed.host.toLowerCase()}${parsed.pathname.replace(/\/+$/, '')}${parsed.search}`;
    } catch {
      return url.replace(/\/+$/, '');
    }
  };
  return normal(a) === normal(b);
}

/** Reads the key's applications and endpoints and works out what would change. Reads only. */
export async function planEndpointSync(client: WhippyApiClient, desired: DesiredEndpoint): Promise<SyncPlan> {
  const application = (await client.listApplications()).find((app) => app.name === desired.applicationName);
  if (!application) {
    return {
      others: [],
      steps: [
        { kind: 'create-application', name: desired.applicationName },
        { kind: 'create-endpoint', url: desired.url, eventTypes: desired.eventTypes },
      ],
    };
  }
  const steps: SyncStep[] = [];
  if (!application.active)
    steps.push({ kind: 'enable-application', id: application.id, name: application.name });
  const endpoints = await client.listEndpoints(application.id);
  const endpoint = endpoints.find((e) => sameUrl(e.url, desired.url));
  const others = endpoints.filter((e) => e !== endpoint);
  if (!endpoint) {
    steps.push({ kind: 'create-endpoint', url: desired.url, eventTypes: desired.eventTypes });
  } else {
    const have = new Set(endpoint.eventTypes);
    const want = new Set(desired.eventTypes);
    const add = desired.eventTypes.filter((type) => !have.has(type));
    const remove = [...have].filter((type) => !want.has(type)).sort();
    if (add.length || remove.length || !endpoint.active) {
      steps.push({
        kind: 'update-endpoint',
        id: endpoint.id,
        url: desired.url,
        add,
        remove,
        enable: !endpoint.active,
      });
    }
  }
  return { application, endpoint, others, steps };
}

/** Carries out a plan made by planEndpointSync, in order. */
export async function applyEndpointSync(
  client: WhippyApiClient,
  desired: DesiredEndpoint,
  plan: SyncPlan,
): Promise<void> {
  let applicationId = plan.application?.id;
  const application = {
    name: desired.applicationName,
    description: plan.application?.description ?? desired.applicationDescription,
    active: true,
  };
  for (const step of plan.steps) {
    if (step.kind === 'create-application') {
      applicationId = (
        await client.createApplication({ ...application, description: desired.applicationDescription })
      ).id;
    } else if (step.kind === 'enable-application') {
      await client.updateApplication(step.id, application);
    } else {
      const input = {
        applicationId: applicationId!,
        url: desired.url,
        eventTypes: desired.eventTypes,
        active: true,
      };
      if (step.kind === 'create-endpoint') await client.createEndpoint(input);
      else await client.updateEndpoint(step.id, input);
    }
  }
}
