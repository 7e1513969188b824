import { ConfigError } from '../src/config/config.error.js';
import { DeadDeliveryAlerts } from '../src/integrations/notifications/dead-delivery.alerts.js';
import { NotificationsModule } from '../src/integrations/notifications/notifications.module.js';
import { PermanentFailure } from '../src/platform/bus/index.js';
import { createTestApp, eventually, TestApp } from './support/app.js';
import { fixture } from './support/events.js';
import { FakeSlack } from './support/fake-slack.js';
import { FakeSmtp } from './support/fake-smtp.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

interface DeliveryRow {
  subscriberId: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

const BODY = fixture('message.created').body as string;
const CHANNELS = ['notifications.slack', 'notifications.email'];

describe('notifications: Slack and email (notifications.slack, notifications.email)', () => {
  let slack: FakeSlack;
  let smtp: FakeSmtp;
  let t: TestApp | undefined;

  const boot = (options: { env?: Record<string, string>; config?: string; probes?: boolean } = {}) =>
    createTestApp({
      modules: options.probes ? [NotificationsModule, ProbeModule] : [NotificationsModule],
      env: { SLACK_WEBHOOK_URL: slack.webhookUrl, SMTP_URL: smtp.url, ...options.env },
      config: `
delivery:
  maxAttempts: 3
  backoff: { initialMs: 50, maxMs: 500, jitter: false }
notifications:
  email:
    from: alerts@brightline.example
    to: [recruiting@brightline.example, sam@brightline.example]
${options.config ?? ''}`,
    });

  beforeEach(async () => {
    slack = await FakeSlack.start();
    smtp = await FakeSmtp.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await Promise.all([slack.close(), smtp.close()]);
  });

  const deliveries = async (id: string): Promise<DeliveryRow[]> =>
    (await t!.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries;
  /** The event's deliveries to `subscribers` all ended as `status`, `count` each. */
  const settled = (id: string, subscribers = CHANNELS, status = 'succeeded', count = 1) =>
    eventually(async () => {
      const found = (await deliveries(id)).filter((d) => subscribers.includes(d.subscriberId));
      return found.length === subscribers.length * count && found.every((d) => d.status === status) && found;
    });

  const outbound = () => ({
    ...fixture('message.created'),
    id: 'b0000000-0000-4000-8000-00000000000b',
    direction: 'OUTBOUND',
    from: '+15555550100',
    to: '+15555550123',
    body: 'Thanks! See you Tuesday.',
    delivery_status: 'delivered',
  });

  it('notifies of an inbound message in Slack and by email, quoting it; an outbound one notifies nobody', async () => {
    t = await boot();
    const inbound = await t.ingest('message.created');
    const sent = await t.ingest('message.created', outbound());
    await settled(inbound);
    await settled(sent);

    expect(slack.posts).toHaveLength(1);
    const [post] = slack.posts;
    expect(post.text).toContain(`New SMS from +15555550123: ${BODY}`);
    expect(post.blocks?.[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'New SMS from +15555550123', emoji: false },
    });
    expect(FakeSlack.textOf(post)).toContain(`>${BODY}`);

    expect(smtp.messages).toHaveLength(1);
    const [mail] = smtp.messages;
    expect(mail.from).toBe('alerts@brightline.example');
    expect(mail.to).toEqual(['recruiting@brightline.example', 'sam@brightline.example']);
    expect(mail.subject).toBe('New SMS from +15555550123');
    expect(mail.text).toContain(`> ${BODY}`);
    expect(smtp.authFailures).toBe(0);
  });

  it('notifies once of a new lead and its first message, naming the contact, in either order', async () => {
    t = await boot();
    const lead = await t.ingest('lead.new');
    await settled(lead);
    const message = await t.ingest('message.created');
    await settled(message);

    expect(slack.posts).toHaveLength(1);
    expect(slack.posts[0].text).toContain('New lead: Jordan Rivera');
    expect(FakeSlack.textOf(slack.posts[0])).toContain(BODY);
    expect(smtp.messages.map((m) => m.subject)).toEqual(['New lead: Jordan Rivera']);

    // A replay of the lead changes nothing; the contact's next message is named.
    await t.adminPost(`/admin/api/events/${lead}/replay`).expect(202);
    await settled(lead, CHANNELS, 'succeeded', 2);
    const next = await t.ingest('message.created', {
      ...fixture('message.created'),
      id: 'c0000000-0000-4000-8000-00000000000c',
      body: 'Also, is there parking on site?',
    });
    await settled(next);
    expect(slack.posts.map((p) => p.blocks?.[0])).toEqual([
      expect.objectContaining({ text: expect.objectContaining({ text: 'New lead: Jordan Rivera' }) }),
      expect.objectContaining({ text: expect.objectContaining({ text: 'New SMS from Jordan Rivera' }) }),
    ]);
    expect(smtp.messages).toHaveLength(2);
  });

  it('notifies once when the message.created comes before its lead.new', async () => {
    t = await boot();
    const message = await t.ingest('message.created');
    await settled(message);
    const lead = await t.ingest('lead.new');
    await settled(lead);
    expect(slack.posts).toHaveLength(1);
    expect(smtp.messages).toHaveLength(1);
  });

  it('waits out a Slack 429 and posts once; a long message is cut to Block Kit limits', async () => {
    t = await boot();
    slack.failNext({ status: 429, body: 'rate_limited', retryAfter: '1' });
    const long = 'Long message. '.repeat(400);
    const id = await t.ingest('message.created', { ...fixture('message.created'), body: long });
    const found = await settled(id);
    expect(found.find((d) => d.subscriberId === 'notifications.slack')?.attempts).toBe(2);
    expect(slack.posts).toHaveLength(1);
    expect(slack.refused).toEqual([{ status: 429, error: 'rate_limited' }]);
    expect(FakeSlack.textOf(slack.posts[0])).toContain('Long message. Long message.');
    expect(smtp.messages[0].text).toContain(long.trim());
  });

  it("dies on a wrong webhook URL with Slack's reason, never showing the URL", async () => {
    const wrong = slack.webhookUrl.replace(slack.secret, 'XXwrongsecret000');
    t = await boot({ env: { SLACK_WEBHOOK_URL: wrong } });
    const id = await t.ingest('message.created');
    const [dead] = await settled(id, ['notifications.slack'], 'dead');
    expect(dead.attempts).toBe(1);
    expect(dead.lastError).toContain('Slack post (POST the incoming webhook) answered 404');
    expect(dead.lastError).toContain('no_service');
    expect(dead.lastError).not.toContain('XXwrongsecret000');
    expect(dead.lastError).not.toContain('/services/');
  });

  it('retries a refused SMTP login without showing the password', async () => {
    const bad = smtp.url.replace(smtp.password, 'not-the-password');
    t = await boot({ env: { SMTP_URL: bad } });
    const id = await t.ingest('message.created');
    const [dead] = await settled(id, ['notifications.email'], 'dead');
    expect(dead.attempts).toBe(3);
    expect(dead.lastError).toContain('EAUTH');
    expect(dead.lastError).not.toContain('not-the-password');
    expect(smtp.authFailures).toBeGreaterThanOrEqual(3);
    expect(smtp.messages).toEqual([]);
  });

  it('alerts of a dead delivery at once, then gathers the next ones into one summary with the count', async () => {
    t = await boot({ probes: true, config: '  alerts:\n    minIntervalSeconds: 2\n' });
    const probe = t.app.get(Probe);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    probe.on('test.contacts', async () => {
      await gate;
      throw new PermanentFailure('CRM rejected the contact: email is invalid');
    });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await t.ingest('contact.created'));
    await eventually(() => probe.of('test.contacts').length === 4);
    release();

    await eventually(() => slack.posts.length === 2 && smtp.messages.length === 2, 10_000);
    const [first, summary] = slack.posts.map(FakeSlack.textOf);
    expect(first).toContain('a delivery to test.contacts is dead');
    expect(first).toMatch(/test\.contacts: event \w+ \(contact\.created\) after 1 attempt\(s\)/);
    expect(first).toContain('CRM rejected the contact: email is invalid');
    expect(ids.some((id) => first.includes(id))).toBe(true);
    expect(summary).toContain('3 more deliveries are dead');
    expect(smtp.messages.map((m) => m.subject)).toEqual([
      'Switchyard: a delivery to test.contacts is dead',
      expect.stringContaining('Switchyard: 3 more deliveries are dead'),
    ]);
    expect(t.app.get(DeadDeliveryAlerts).sent).toBe(2);
  });
});

describe('notifications off until configured', () => {
  it('starts without SLACK_WEBHOOK_URL and SMTP_URL, listing both disabled with the variable', async () => {
    const t = await createTestApp({ modules: [NotificationsModule] });
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      expect(body.subscribers).toEqual([
        expect.objectContaining({
          id: 'notifications.slack',
          enabled: false,
          reason: 'SLACK_WEBHOOK_URL is not set',
        }),
        expect.objectContaining({ id: 'notifications.email', enabled: false, reason: 'SMTP_URL is not set' }),
      ]);
    } finally {
      await t.close();
    }
  });

  const startFailure = async (options: Parameters<typeof createTestApp>[0]): Promise<ConfigError> => {
    const error = await createTestApp(options).then(
      async (t) => {
        await t.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    if (!(error instanceof ConfigError)) throw new Error(`expected a ConfigError, got ${String(error)}`);
    return error;
  };

  it('stops the start when a route enables one, naming the variable', async () => {
    const error = await startFailure({
      modules: [NotificationsModule],
      env: { SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/secret' },
      config: 'subscribers:\n  notifications.email:\n    enabled: true\n',
    });
    expect(error.issues).toEqual([
      expect.stringMatching(/^subscribers\.notifications\.email: .*SMTP_URL is not set/),
    ]);
  });

  it('stops the start on a malformed SMTP_URL or webhook URL, naming the path but not the value', async () => {
    const error = await startFailure({
      modules: [NotificationsModule],
      env: {
        SMTP_URL: 'mail.example.com:587 user p4ssw0rd',
        SLACK_WEBHOOK_URL: 'hooks.slack.com/services/T/B/s3cret',
      },
    });
    expect(error.issues).toEqual([
      expect.stringMatching(/^notifications\.slack\.webhookUrl: must be an http\(s\) URL/),
      expect.stringMatching(/^notifications\.email\.smtpUrl: must be an smtp:\/\/ or smtps:\/\/ URL/),
    ]);
    expect(error.message).not.toContain('p4ssw0rd');
    expect(error.message).not.toContain('s3cret');
  });
});
