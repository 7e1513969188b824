import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { WHIPPY_EVENT_TYPES } from '../src/platform/events/event-types.js';
import { configDirWith, tempDir } from './support/app.js';
import { switchyard } from './support/cli.js';

const SECRET = `whsec_${randomBytes(24).toString('base64')}`;
const CONFIG = `
relay:
  targets:
    billing:
      url: http://127.0.0.1:9/billing
      secret: ${SECRET}
      events: [message.created, 'contact.*']
    audit:
      url: http://127.0.0.1:9/audit
      secret: ${SECRET}
      events: ['*']
    paused:
      url: http://127.0.0.1:9/paused
      secret: ${SECRET}
      events: [lead.new]
subscribers:
  relay.audit:
    events: [contact.updated, lead.new]
  relay.paused:
    enabled: false
`;

interface Field {
  name: string;
  type: string;
  class?: string;
  fields?: Field[];
}

describe('switchyard catalog', () => {
  let env: Record<string, string>;

  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { stdio: 'inherit' });
    env = { APP_ENV: 'test', CONFIG_DIR: configDirWith(CONFIG), DATA_DIR: tempDir() };
  }, 120_000);

  it('prints every type with its fields and the subscribers this environment routes it to (JSON)', async () => {
    const run = await switchyard(['catalog', '--format', 'json'], env);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    const catalog = JSON.parse(run.stdout) as {
      env: string;
      types: { type: string; class: string; fields: Field[]; subscribers: string[] }[];
    };
    expect(catalog.env).toBe('test');
    expect(catalog.types.map((t) => t.type)).toEqual([...WHIPPY_EVENT_TYPES]);
    const of = (type: string) => catalog.types.find((t) => t.type === type)!;

    expect(of('message.created').subscribers).toEqual(['relay.billing']);
    expect(of('contact.created').subscribers).toEqual(['relay.billing']);
    expect(of('contact.updated').subscribers).toEqual(['relay.audit', 'relay.billing']);
    // relay.paused takes lead.new in code, but this environment turns it off.
    expect(of('lead.new').subscribers).toEqual(['relay.audit']);
    expect(of('step.created').subscribers).toEqual([]);

    const message = of('message.created');
    expect(message.class).toBe('MessageCreated');
    expect(message.fields).toEqual(
      expect.arrayContaining([
        { name: 'body', property: 'body', type: 'string' },
        { name: 'user_id', property: 'userId', type: 'integer' },
        { name: 'created_at', property: 'createdAt', type: 'timestamp' },
      ]),
    );
    const metadata = message.fields.find((f) => f.name === 'metadata')!;
    expect(metadata).toMatchObject({ type: 'object', class: 'WhippyMessageMetadata' });
    expect(metadata.fields!.find((f) => f.name === 'analysis')!.fields).toEqual([
      { name: 'call_summary', property: 'callSummary', type: 'string' },
    ]);
    expect(message.fields.find((f) => f.name === 'attachments')).toMatchObject({ type: 'object[]' });
    const lead = of('lead.new').fields.map((f) => f.name);
    expect(lead).toEqual(['contact', 'conversation', 'inbound_message']);
  });

  it('prints Markdown by default, with Whippy field paths as filters name them', async () => {
    const run = await switchyard(['catalog'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^## message\.created$/m);
    expect(run.stdout).toContain('Subscribers here: relay.audit, relay.billing.');
    expect(run.stdout).toContain('| `data.metadata.analysis.call_summary` | string |');
    expect(run.stdout).toContain('| `data.assigned_team_id` | string \\| integer |');
  });

  it('leaves no store behind and needs no signing key', async () => {
    const before = readdirSync(tmpdir()).filter((name) => name.startsWith('switchyard-catalog-'));
    const run = await switchyard(['catalog', '--format', 'json'], { ...env, APP_ENV: 'production' });
    expect(run.code).toBe(0);
    expect(readdirSync(env.DATA_DIR)).toEqual([]);
    const after = readdirSync(tmpdir()).filter((name) => name.startsWith('switchyard-catalog-'));
    expect(after).toEqual(before);
  });

  it('refuses an unknown format, and stops with the config path when the routes are wrong', async () => {
    const bad = await switchyard(['catalog', '--format', 'xml'], env);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--format must be md or json');
    const wrong = await switchyard(['catalog'], {
      ...env,
      CONFIG_DIR: configDirWith('subscribers:\n  crm.nothing:\n    enabled: true\n'),
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('subscribers.crm.nothing: no such subscriber');
  });
});
