import { execFileSync } from 'node:child_process';
import { configDirWith, tempDir } from './support/app.js';
import { switchyard } from './support/cli.js';
import { FakeWhippy } from './support/fake-whippy.js';

const API_KEY = 'whippy_api_key_for_tests_0001';
const URL_ = 'https://hooks.example.com/webhooks/whippy';
const SECRET = `whsec_${Buffer.from('relay-secret-0123456789').toString('base64')}`;
/** What the enabled routes want: billing's types; audit is switched off here. */
const WANTED = ['contact.created', 'contact.updated', 'message.created'];

const CONFIG = `
relay:
  targets:
    billing:
      url: https://billing.internal/whippy
      secret: ${SECRET}
      events: [message.created, 'contact.*']
    audit:
      url: https://audit.internal/whippy
      secret: ${SECRET}
      events: [lead.new]
subscribers:
  relay.audit: { enabled: false }
`;

describe('switchyard whippy sync-endpoint', () => {
  let whippy: FakeWhippy;
  let env: Record<string, string>;
  const configDir = configDirWith(CONFIG);

  beforeAll(() => {
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { stdio: 'inherit' });
  }, 120_000);

  beforeEach(async () => {
    whippy = new FakeWhippy([API_KEY, 'another-organisations-key']);
    env = {
      APP_ENV: 'test',
      CONFIG_DIR: configDir,
      DATA_DIR: tempDir(),
      WHIPPY_SIGNING_KEYS: API_KEY,
      WHIPPY_API_KEY: API_KEY,
      WHIPPY_API_URL: await whippy.start(),
      PUBLIC_URL: 'https://hooks.example.com',
    };
  });
  afterEach(() => whippy.close());

  const sync = (...args: string[]) => switchyard(['whippy', 'sync-endpoint', ...args], env);

  it('creates the application and its endpoint with exactly the types the enabled routes need', async () => {
    const dry = await sync();
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('+ create application "Switchyard" (active)');
    expect(dry.stdout).toContain(
      `+ create endpoint ${URL_} (active) with 3 event type(s): ${WANTED.join(', ')}`,
    );
    expect(dry.stdout).toContain('Dry run: nothing was changed');
    expect(whippy.writes()).toEqual([]);

    const run = await sync('--apply');
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(whippy.applications).toMatchObject([{ name: 'Switchyard', active: true, key: API_KEY }]);
    expect(whippy.endpoints).toEqual([
      {
        id: expect.any(String),
        developer_application_id: whippy.applications[0].id,
        url: URL_,
        event_types: WANTED,
        active: true,
      },
    ]);
    expect(run.stdout).not.toContain(API_KEY);
  });

  it('updates an endpoint that subscribes too broadly, too narrowly or is off; the dry run changes nothing', async () => {
    const app = whippy.addApplication(API_KEY, { active: false, description: 'ours' });
    const endpoint = whippy.addEndpoint(app, {
      event_types: ['message.created', 'campaign.created'],
      active: false,
    });
    const other = whippy.addEndpoint(app, {
      url: 'https://elsewhere.example.com/hook',
      event_types: ['lead.new'],
    });
    whippy.addApplication('another-organisations-key');

    const dry = await sync();
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`~ enable application "Switchyard" (${app.id}): it is switched off`);
    expect(dry.stdout).toContain(
      `~ update endpoint ${endpoint.id} (${URL_}): add contact.created, contact.updated; remove campaign.created; switch it on`,
    );
    expect(dry.stdout).toContain(
      `(left alone: endpoint ${other.id} https://elsewhere.example.com/hook, active)`,
    );
    expect(whippy.writes()).toEqual([]);
    expect(endpoint).toMatchObject({ event_types: ['message.created', 'campaign.created'], active: false });

    const run = await sync('--apply');
    expect(run.code).toBe(0);
    expect(app).toMatchObject({ active: true, description: 'ours' });
    expect(endpoint).toMatchObject({ url: URL_, event_types: WANTED, active: true });
    expect(other).toMatchObject({ event_types: ['lead.new'] });
    expect(whippy.writes().map((r) => `${r.method} ${r.path}`)).toEqual([
      `PUT /v1/developers/applications/${app.id}`,
      `PUT /v1/developers/endpoints/${endpoint.id}`,
    ]);
  });

  it('has nothing to do when Whippy already matches', async () => {
    const app = whippy.addApplication(API_KEY);
    whippy.addEndpoint(app, { event_types: [...WANTED].reverse() });
    const run = await sync('--apply');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      `Whippy is up to date: application "Switchyard" (${app.id}) sends 3 event type(s)`,
    );
    expect(whippy.writes()).toEqual([]);
  });

  it('says clearly when Whippy refuses the key, without printing it', async () => {
    env.WHIPPY_API_KEY = 'a-key-whippy-does-not-know';
    const run = await sync('--apply');
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^switchyard: Whippy's API: GET http:\/\/127\.0\.0\.1:\d+\/v1\/developers\/applications answered 401: Invalid API key \(check WHIPPY_API_KEY: Whippy did not accept it\)\n$/,
    );
    expect(run.stdout + run.stderr).not.toContain('a-key-whippy-does-not-know');
    expect(whippy.writes()).toEqual([]);
  });

  it('needs PUBLIC_URL and WHIPPY_API_KEY, and says so', async () => {
    const noUrl = await switchyard(['whippy', 'sync-endpoint'], { ...env, PUBLIC_URL: '' });
    expect(noUrl.code).toBe(1);
    expect(noUrl.stderr).toContain('PUBLIC_URL is not set');
    const noKey = await switchyard(['whippy', 'sync-endpoint'], { ...env, WHIPPY_API_KEY: '' });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('WHIPPY_API_KEY is not set');
    expect(whippy.requests).toEqual([]);
  });
});
