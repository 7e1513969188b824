import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { configDirWith, eventually, tempDir } from './support/app.js';
import { fixture } from './support/events.js';
import { FakeBullhorn } from './support/fake-bullhorn.js';
import { FakeSlack } from './support/fake-slack.js';
import { FakeSmtp } from './support/fake-smtp.js';
import { spawnService, type RunningService } from './support/service.js';
import { whippySignature } from './support/sign.js';

const KEY = 'module-secrets-signing-key';
const ADMIN = 'module-secrets-admin-token';
const PHONE = '+15555550123';

/**
 * The built service with the ATS and notifications modules on, logging everything (trace),
 * through logins, a BhRestToken expiry, retries, a dead delivery and its alert: no line of its
 * output holds a token, secret, password, phone number or message body.
 */
describe('secrets in the logs of the ATS and notifications modules', () => {
  let bullhorn: FakeBullhorn;
  let slack: FakeSlack;
  let smtp: FakeSmtp;
  let service: RunningService | undefined;
  let dataDir: string;

  beforeEach(async () => {
    [bullhorn, slack, smtp] = await Promise.all([FakeBullhorn.start(), FakeSlack.start(), FakeSmtp.start()]);
    dataDir = tempDir();
  });
  afterEach(async () => {
    if (service && service.process.exitCode === null) {
      service.process.kill('SIGKILL');
      await service.exited;
    }
    await Promise.all([bullhorn.close(), slack.close(), smtp.close()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const send = async (type: string, data: Record<string, unknown>): Promise<string> => {
    const body = JSON.stringify({ event: type, request_id: randomUUID(), data });
    const res = await fetch(`${service!.url}/webhooks/whippy`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-whippy-signature': whippySignature(KEY, body).header,
      },
      body,
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };
  const deliveries = async (id: string): Promise<{ subscriberId: string; status: string }[]> => {
    const res = await fetch(`${service!.url}/admin/api/events/${id}`, {
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    return ((await res.json()) as { deliveries: { subscriberId: string; status: string }[] }).deliveries;
  };
  const finished = (id: string, count: number) =>
    eventually(async () => {
      const found = await deliveries(id);
      return found.length === count && found.every((d) => d.status === 'succeeded' || d.status === 'dead');
    }, 15_000);

  it('keeps tokens, secrets, passwords, phone numbers and bodies out of every line', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: '(555) 555-0123' });
    const refreshToken = bullhorn.issueRefreshToken();
    const configDir = configDirWith(`
delivery:
  maxAttempts: 2
  backoff: { initialMs: 50, maxMs: 200, jitter: false }
ats:
  bullhorn:
    authUrl: ${bullhorn.url}
    loginUrl: ${bullhorn.url}
notifications:
  email:
    to: [recruiting@brightline.example]
  alerts:
    minIntervalSeconds: 0
`);
    service = await spawnService(
      {
        APP_ENV: 'test',
        CONFIG_DIR: configDir,
        DATA_DIR: dataDir,
        WHIPPY_SIGNING_KEYS: KEY,
        ADMIN_TOKEN: ADMIN,
        LOG_LEVEL: 'trace',
        BULLHORN_CLIENT_ID: bullhorn.clientId,
        BULLHORN_CLIENT_SECRET: bullhorn.clientSecret,
        BULLHORN_REFRESH_TOKEN: refreshToken,
        SLACK_WEBHOOK_URL: slack.webhookUrl,
        SMTP_URL: smtp.url,
      },
      { waitReady: false },
    );
    // A loaded machine can take longer than spawnService's own wait to boot Nest.
    await eventually(
      () =>
        fetch(`${service!.url}/health/ready`).then(
          (res) => res.ok,
          () => false,
        ),
      60_000,
    );

    const inbound = fixture('message.created');
    await finished(await send('message.created', inbound), 3);
    bullhorn.expireSessions();
    bullhorn.failNext({ status: 500, body: { errorMessage: 'temporarily unavailable' } });
    slack.failNext({ status: 400, body: 'invalid_blocks' });
    const second = {
      ...inbound,
      id: 'd0000000-0000-4000-8000-00000000000d',
      body: 'Second message, still private.',
    };
    await finished(await send('message.created', second), 3);
    await finished(await send('call.analyzed', fixture('call.analyzed')), 1);
    const contact = fixture('contact.updated');
    const optOut = {
      ...contact,
      communication_preferences: [{ ...(contact.communication_preferences as object[])[0], opt_in: false }],
    };
    await finished(await send('contact.updated', optOut), 1);
    // The dead Slack delivery's alert went out by email.
    await eventually(() => smtp.messages.some((m) => m.subject.includes('is dead')), 10_000);
    expect(bullhorn.notes).toHaveLength(3);

    service.process.kill('SIGTERM');
    await service.exited;
    const output = service.output();
    // The logs were there to read: logins, notes, the dead delivery.
    expect(output).toContain('logged in to Bullhorn REST');
    expect(output).toContain('→ Note');
    expect(output).toContain('is dead after');

    const secrets = [
      refreshToken,
      ...bullhorn.requests.map((r) => r.credential).filter((c): c is string => Boolean(c)),
      bullhorn.clientSecret,
      slack.secret,
      smtp.password,
      KEY,
      ADMIN,
    ];
    expect(secrets.length).toBeGreaterThan(8);
    const personal = [
      PHONE,
      '5555550123',
      '555-0123',
      inbound.body as string,
      second.body,
      'jordan.rivera@example.com',
    ];
    const leaks = output
      .split('\n')
      .filter((line) => [...secrets, ...personal].some((secret) => line.includes(secret)));
    expect(leaks).toEqual([]);
  }, 120_000);
});
