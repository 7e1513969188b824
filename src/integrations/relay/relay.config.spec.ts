import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../config/config.error.js';
import { loadAppConfig } from '../../app.config.js';
import type { RelayConfig } from './relay.config.js';

const SECRET = `whsec_${Buffer.from('a relay secret of 32 bytes......').toString('base64')}`;

/** The real loader over default.yaml and `yaml` as test.yaml, with the relay section known. */
function load(yaml: string, env: Record<string, string> = {}): RelayConfig {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-relay-config-'));
  writeFileSync(join(dir, 'default.yaml'), readFileSync('config/default.yaml', 'utf8'));
  writeFileSync(join(dir, 'test.yaml'), yaml);
  const config = loadAppConfig({
    configDir: dir,
    env: { APP_ENV: 'test', DATA_DIR: dir, WHIPPY_SIGNING_KEYS: 'k', ...env },
  });
  return config.integrations.relay as RelayConfig;
}

function issuesOf(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const target = (fields: Record<string, string>) =>
  `relay:\n  targets:\n    billing:\n${Object.entries(fields)
    .map(([key, value]) => `      ${key}: ${value}\n`)
    .join('')}`;

const valid = { url: 'https://billing.internal/whippy', secret: SECRET, events: '[message.created]' };

describe('relay settings', () => {
  it('reads a target, the secret from a variable, with defaults', () => {
    const config = load(
      `
relay:
  targets:
    billing:
      url: https://billing.internal/whippy
      secret: \${RELAY_BILLING_SECRET}
      events: [message.created, 'contact.*']
      orderBy: data.contact_id
    audit-log_2:
      url: http://audit:8080/in
      secret: ${SECRET}
      events: '*'
      timeoutMs: 2500
`,
      { RELAY_BILLING_SECRET: SECRET },
    );
    expect(config.targets).toEqual([
      {
        name: 'billing',
        url: 'https://billing.internal/whippy',
        secret: SECRET,
        events: ['message.created', 'contact.*'],
        orderBy: 'data.contact_id',
        timeoutMs: 10_000,
      },
      {
        name: 'audit-log_2',
        url: 'http://audit:8080/in',
        secret: SECRET,
        events: ['*'],
        orderBy: undefined,
        timeoutMs: 2500,
      },
    ]);
  });

  it('has no targets without a relay section', () => {
    expect(load('')).toEqual({ targets: [] });
    expect(load('relay:\n  targets:\n')).toEqual({ targets: [] });
  });

  it.each([
    [
      'url',
      { ...valid, url: 'ftp://billing.internal/x' },
      'relay.targets.billing.url: must be an http(s) URL',
    ],
    ['url', { ...valid, url: 'billing.internal' }, 'relay.targets.billing.url: must be an http(s) URL'],
    [
      'url',
      { secret: SECRET, events: '[message.created]' },
      'relay.targets.billing.url: must be an http(s) URL',
    ],
    [
      'url',
      { ...valid, url: 'https://u:p@billing.internal/' },
      'relay.targets.billing.url: must not hold a user',
    ],
    [
      'secret',
      { ...valid, secret: 'not-a-secret' },
      'relay.targets.billing.secret: must look like whsec_<base64>',
    ],
    [
      'secret',
      { ...valid, secret: 'whsec_c2hvcnQ=' },
      'relay.targets.billing.secret: must look like whsec_<base64>',
    ],
    [
      'secret',
      { ...valid, secret: '${RELAY_UNSET_SECRET}' },
      'relay.targets.billing.secret: must look like whsec_<base64>, got nothing (is the variable it reads set?)',
    ],
    [
      'events',
      { ...valid, events: '[]' },
      'relay.targets.billing.events: at least one event type or pattern',
    ],
    [
      'events',
      { url: valid.url, secret: SECRET },
      'relay.targets.billing.events: at least one event type or pattern',
    ],
    [
      'events',
      { ...valid, events: '[message]' },
      'relay.targets.billing.events[0]: "message" matches no known',
    ],
    [
      'events',
      { ...valid, events: '[message.created, message.create]' },
      'relay.targets.billing.events[1]: "message.create" matches no known event type',
    ],
    ['events', { ...valid, events: '{ a: 1 }' }, 'relay.targets.billing.events: must be a list'],
    ['orderBy', { ...valid, orderBy: 'contactId' }, 'relay.targets.billing.orderBy: must name a field'],
    ['timeoutMs', { ...valid, timeoutMs: '0' }, 'relay.targets.billing.timeoutMs: must be a whole number'],
    ['unknown keys', { ...valid, retries: '3' }, 'relay.targets.billing.retries: unknown setting'],
  ])('reports a bad %s with its path', (_, fields, issue) => {
    const issues = issuesOf(target(fields as Record<string, string>));
    expect(issues).toEqual(expect.arrayContaining([expect.stringContaining(issue)]));
  });

  it('never repeats a secret in a message', () => {
    const secret = 'whsec_!!definitely-not-base64!!';
    const issues = issuesOf(target({ ...valid, secret }));
    expect(issues.join('\n')).not.toContain('definitely-not-base64');
  });

  it('reports target names that cannot be part of a subscriber id', () => {
    const issues = issuesOf(
      `relay:\n  targets:\n    Billing.EU:\n      url: ${valid.url}\n      secret: ${SECRET}\n      events: '*'\n`,
    );
    expect(issues).toEqual([
      expect.stringMatching(/^relay\.targets\.Billing\.EU: a target name may hold lower-case/),
    ]);
  });

  it('reports unknown keys of the section', () => {
    expect(issuesOf('relay:\n  target: {}\n')).toEqual([
      expect.stringMatching(/^relay\.target: unknown setting/),
    ]);
    expect(issuesOf('relay: [a]\n')).toEqual([expect.stringMatching(/^relay: must be a mapping/)]);
  });
});
