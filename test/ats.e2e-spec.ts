import { ConfigError } from '../src/config/config.error.js';
import { AtsModule } from '../src/integrations/ats/ats.module.js';
import { BullhornNotes } from '../src/integrations/ats/bullhorn-notes.subscriber.js';
import { ModuleStore } from '../src/platform/bus/index.js';
import { createTestApp, eventually, TestApp, tempDir } from './support/app.js';
import { fixture } from './support/events.js';
import { FakeBullhorn } from './support/fake-bullhorn.js';

interface DeliveryRow {
  id: string;
  subscriberId: string;
  status: string;
  attempts: number;
  lastError: string | null;
}

const PHONE = '+15555550123';

/** The ATS module against a fake Bullhorn: signed webhooks in, Notes and opt-outs out. */
describe('ATS: Bullhorn (ats.bullhorn.notes, ats.bullhorn.opt-out)', () => {
  let bullhorn: FakeBullhorn;
  let t: TestApp | undefined;
  let refreshToken: string;

  const boot = (
    options: {
      dataDir?: string;
      refreshToken?: string;
      extra?: string;
      authUrl?: string;
      env?: Record<string, string>;
    } = {},
  ) =>
    createTestApp({
      modules: [AtsModule],
      dataDir: options.dataDir,
      env: {
        BULLHORN_CLIENT_ID: bullhorn.clientId,
        BULLHORN_CLIENT_SECRET: bullhorn.clientSecret,
        BULLHORN_REFRESH_TOKEN: options.refreshToken ?? refreshToken,
        ...options.env,
      },
      config: `
delivery:
  maxAttempts: 3
  backoff: { initialMs: 50, maxMs: 500, jitter: false }
ats:
  bullhorn:
    authUrl: ${options.authUrl ?? bullhorn.url}
    loginUrl: ${bullhorn.url}
${options.extra ?? ''}`,
    });

  beforeEach(async () => {
    bullhorn = await FakeBullhorn.start();
    refreshToken = bullhorn.issueRefreshToken();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
    await bullhorn.close();
  });

  const deliveries = async (app: TestApp, id: string, subscriber: string): Promise<DeliveryRow[]> =>
    ((await app.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries as DeliveryRow[]).filter(
      (d) => d.subscriberId === subscriber,
    );
  /** Every delivery of the event to `subscriber` has finished as `status` (and there are `count`). */
  const settled = (app: TestApp, id: string, subscriber: string, status = 'succeeded', count = 1) =>
    eventually(async () => {
      const found = await deliveries(app, id, subscriber);
      return found.length === count && found.every((d) => d.status === status) && found;
    });

  const inbound = (overrides: Record<string, unknown> = {}) => ({
    ...fixture('message.created'),
    ...overrides,
  });
  const outbound = (overrides: Record<string, unknown> = {}) => ({
    ...fixture('message.created'),
    id: 'a1b2c3d4-0000-4000-8000-000000000002',
    direction: 'OUTBOUND',
    from: '+15555550100',
    to: PHONE,
    body: 'Great, can you come in Tuesday at 10?',
    delivery_status: 'delivered',
    ...overrides,
  });

  it('notes an inbound and an outbound message on the candidate with that phone, typed any way', async () => {
    const jordan = bullhorn.addCandidate({
      firstName: 'Jordan',
      lastName: 'Rivera',
      phone: '(555) 555-0123',
    });
    bullhorn.addCandidate({ firstName: 'Other', lastName: 'Person', phone: '(555) 555-0199' });
    t = await boot();

    const received = await t.ingest('message.created', inbound());
    const sent = await t.ingest('message.created', outbound());
    await settled(t, received, 'ats.bullhorn.notes');
    await settled(t, sent, 'ats.bullhorn.notes');

    expect(bullhorn.notes).toHaveLength(2);
    const byText = (text: string) => bullhorn.notes.find((n) => n.comments?.includes(text))!;
    expect(byText(fixture('message.created').body as string)).toMatchObject({
      personReference: { id: jordan.id },
      action: 'Text Message',
    });
    expect(byText('Received SMS via Whippy').comments).toContain('warehouse associate opening');
    expect(byText('Tuesday at 10')).toMatchObject({
      personReference: { id: jordan.id },
      action: 'Text Message',
    });
    expect(byText('Tuesday at 10').comments).toContain('Sent SMS via Whippy');

    // One token refresh and one REST login served both.
    expect(bullhorn.count('/oauth/token')).toBe(1);
    expect(bullhorn.count('/rest-services/login')).toBe(1);
  });

  it('finds the candidate by mobile, or by email for an email message', async () => {
    const byMobile = bullhorn.addCandidate({ firstName: 'M', lastName: 'Obile', mobile: '555-555-0123' });
    const byEmail = bullhorn.addCandidate({
      firstName: 'E',
      lastName: 'Mail',
      email: 'Jordan.Rivera@Example.com',
    });
    t = await boot();
    const sms = await t.ingest('message.created', inbound());
    const email = await t.ingest(
      'message.created',
      inbound({
        id: 'e-1',
        type: 'email',
        from: 'jordan.rivera@example.com',
        email_subject: 'CV attached',
        body: 'See attached.',
      }),
    );
    await settled(t, sms, 'ats.bullhorn.notes');
    await settled(t, email, 'ats.bullhorn.notes');
    expect(bullhorn.notes.map((n) => n.personReference.id).sort()).toEqual([byMobile.id, byEmail.id].sort());
    expect(bullhorn.notes.find((n) => n.personReference.id === byEmail.id)!.comments).toContain(
      'Received email via Whippy: CV attached',
    );
  });

  it('notes an analysed call with its summary, under callNoteAction', async () => {
    const jordan = bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: '5555550123' });
    t = await boot({ extra: '    callNoteAction: Phone Screen\n' });
    const id = await t.ingest('call.analyzed');
    await settled(t, id, 'ats.bullhorn.notes');
    expect(bullhorn.notes).toHaveLength(1);
    const [note] = bullhorn.notes;
    expect(note).toMatchObject({ personReference: { id: jordan.id }, action: 'Phone Screen' });
    expect(note.comments).toContain('Outbound call via Whippy (3 min 7 s)');
    expect(note.comments).toContain('Summary: The AI agent pre-screened Jordan Rivera');
    expect(note.comments).toContain('Recording: https://recordings.example.com/calls/');
  });

  it('creates one Note per message: a duplicate request, a replay and a second event change nothing', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    t = await boot();
    const data = inbound();
    const body = JSON.stringify({ event: 'message.created', request_id: 'req-dup-1', data });
    const { whippySignature } = await import('./support/sign.js');
    const { WHIPPY_KEY } = await import('./support/app.js');
    const post = () =>
      t!.http
        .post('/webhooks/whippy')
        .set('content-type', 'application/json')
        .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
        .send(body)
        .expect(200);
    const first = (await post()).body.id as string;
    const again = (await post()).body.id as string;
    expect(again).toBe(first);
    await settled(t, first, 'ats.bullhorn.notes');

    await t
      .adminPost(`/admin/api/events/${first}/replay`, { subscribers: ['ats.bullhorn.notes'] })
      .expect(202);
    await settled(t, first, 'ats.bullhorn.notes', 'succeeded', 2);
    // Whippy's own retry: a new request for the same message.
    const retried = await t.ingest('message.created', data);
    await settled(t, retried, 'ats.bullhorn.notes');

    expect(bullhorn.notes).toHaveLength(1);
    expect(await t.app.get(ModuleStore).get('ats.bullhorn', 'note', data.id as string)).toMatchObject({
      noteId: bullhorn.notes[0].id,
    });
  });

  it('skips message.updated, notes and non-matching types', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    t = await boot();
    const note = await t.ingest('message.created', inbound({ id: 'n-1', type: 'note' }));
    await settled(t, note, 'ats.bullhorn.notes');
    const updated = await t.ingest('message.updated', inbound());
    await eventually(async () => (await t!.admin(`/admin/api/events/${updated}`)).body.status !== 'received');
    expect(await deliveries(t, updated, 'ats.bullhorn.notes')).toEqual([]);
    expect(bullhorn.notes).toEqual([]);
  });

  it('counts a message without a candidate, creates nothing, and succeeds at once', async () => {
    bullhorn.addCandidate({ firstName: 'Someone', lastName: 'Else', phone: '(555) 555-0999' });
    t = await boot();
    const id = await t.ingest('message.created', inbound());
    const [delivery] = await settled(t, id, 'ats.bullhorn.notes');
    expect(delivery).toMatchObject({ attempts: 1, lastError: null });
    expect(bullhorn.notes).toEqual([]);
    expect(t.app.get(BullhornNotes).unmatched).toBe(1);
    expect(
      await t.app.get(ModuleStore).get('ats.bullhorn', 'unmatched', fixture('message.created').id as string),
    ).toMatchObject({
      eventId: id,
      by: 'phone',
    });
  });

  it('logs in again once when the BhRestToken expires mid-run, and creates the note', async () => {
    const jordan = bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    t = await boot();
    const first = await t.ingest('message.created', inbound());
    await settled(t, first, 'ats.bullhorn.notes');
    expect(bullhorn.count('/rest-services/login')).toBe(1);

    bullhorn.expireSessions();
    const second = await t.ingest('message.created', outbound());
    const [delivery] = await settled(t, second, 'ats.bullhorn.notes');
    expect(delivery.attempts).toBe(1);
    expect(bullhorn.count('/rest-services/login')).toBe(2);
    expect(bullhorn.count('/oauth/token')).toBe(2);
    expect(bullhorn.requests.filter((r) => r.status === 401)).toHaveLength(1);
    expect(bullhorn.notes.filter((n) => n.personReference.id === jordan.id)).toHaveLength(2);
  });

  it('after a restart, logs in with the rotated refresh token kept in the store', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    const dataDir = tempDir();
    t = await boot({ dataDir });
    await settled(t, await t.ingest('message.created', inbound()), 'ats.bullhorn.notes');
    await t.close({ keepData: true });

    // The same BULLHORN_REFRESH_TOKEN (already used, so refused by Bullhorn) is configured.
    t = await boot({ dataDir });
    const id = await t.ingest('message.created', outbound());
    const [delivery] = await settled(t, id, 'ats.bullhorn.notes');
    expect(delivery.attempts).toBe(1);
    const refreshes = bullhorn.requests.filter((r) => r.path === '/oauth/token');
    expect(refreshes.map((r) => r.status)).toEqual([200, 200]);
    expect(refreshes[0].credential).toBe(refreshToken);
    expect(refreshes[1].credential).not.toBe(refreshToken);
    expect(bullhorn.notes).toHaveLength(2);
  });

  it('starts a new chain when BULLHORN_REFRESH_TOKEN changes', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    const dataDir = tempDir();
    t = await boot({ dataDir });
    await settled(t, await t.ingest('message.created', inbound()), 'ats.bullhorn.notes');
    await t.close({ keepData: true });

    const fresh = bullhorn.issueRefreshToken();
    t = await boot({ dataDir, refreshToken: fresh });
    await settled(t, await t.ingest('message.created', outbound()), 'ats.bullhorn.notes');
    const refreshes = bullhorn.requests.filter((r) => r.path === '/oauth/token');
    expect(refreshes.map((r) => [r.status, r.credential])).toEqual([
      [200, refreshToken],
      [200, fresh],
    ]);
  });

  it('retries, naming the cause, when Bullhorn refuses the refresh token', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    t = await boot({ refreshToken: 'rt-never-issued' });
    const id = await t.ingest('message.created', inbound());
    const [delivery] = await settled(t, id, 'ats.bullhorn.notes', 'dead');
    expect(delivery.attempts).toBe(3);
    expect(delivery.lastError).toContain('Bullhorn refused the configured refresh token (invalid_grant');
    expect(delivery.lastError).toContain('set BULLHORN_REFRESH_TOKEN to a new one');
    expect(delivery.lastError).not.toContain('rt-never-issued');
    expect(bullhorn.notes).toEqual([]);
  });

  it('finds the hosts through loginInfo when username is set', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    // authUrl points nowhere: the token URL must come from loginInfo.
    t = await boot({ authUrl: 'https://auth.invalid', extra: '    username: api.user\n' });
    await settled(t, await t.ingest('message.created', inbound()), 'ats.bullhorn.notes');
    expect(bullhorn.requests.find((r) => r.path === '/rest-services/loginInfo')?.query).toEqual({
      username: 'api.user',
    });
    expect(bullhorn.notes).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After says, then notes once', async () => {
    bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    t = await boot();
    bullhorn.failNext({
      status: 429,
      headers: { 'retry-after': '1' },
      body: { errorMessage: 'Too many requests' },
    });
    const id = await t.ingest('message.created', inbound());
    const [delivery] = await settled(t, id, 'ats.bullhorn.notes');
    expect(delivery.attempts).toBe(2);
    expect(bullhorn.notes).toHaveLength(1);
  });

  it('sets smsOptIn false on the candidate of a contact that opted out, once', async () => {
    const jordan = bullhorn.addCandidate({
      firstName: 'Jordan',
      lastName: 'Rivera',
      phone: '(555) 555-0123',
    });
    const other = bullhorn.addCandidate({ firstName: 'Other', lastName: 'Person', phone: '(555) 555-0199' });
    t = await boot();
    const contact = fixture('contact.updated');
    const optedOut = {
      ...contact,
      communication_preferences: [
        {
          ...(contact.communication_preferences as object[])[0],
          opt_in: false,
          opt_out_date: '2023-08-27T09:00:00Z',
        },
      ],
    };
    const optedIn = await t.ingest('contact.updated', contact);
    await settled(t, optedIn, 'ats.bullhorn.opt-out');
    expect(bullhorn.requests.filter((r) => r.path.includes('/entity/Candidate'))).toEqual([]);

    const id = await t.ingest('contact.updated', optedOut);
    await settled(t, id, 'ats.bullhorn.opt-out');
    expect(bullhorn.candidates.get(jordan.id)!.smsOptIn).toBe(false);
    expect(bullhorn.candidates.get(other.id)!.smsOptIn).toBe(true);

    await t
      .adminPost(`/admin/api/events/${id}/replay`, { subscribers: ['ats.bullhorn.opt-out'] })
      .expect(202);
    await settled(t, id, 'ats.bullhorn.opt-out', 'succeeded', 2);
    expect(
      bullhorn.requests.filter((r) => r.method === 'POST' && r.path.includes('/entity/Candidate')),
    ).toHaveLength(1);
  });

  it('writes the configured opt-in field, and a field Bullhorn does not know is a dead delivery with its message', async () => {
    const jordan = bullhorn.addCandidate({ firstName: 'Jordan', lastName: 'Rivera', phone: PHONE });
    t = await boot({ extra: '    optInField: customTextOptIn\n' });
    const contact = fixture('contact.updated');
    const id = await t.ingest('contact.updated', {
      ...contact,
      communication_preferences: [{ ...(contact.communication_preferences as object[])[0], opt_in: false }],
    });
    const [delivery] = await settled(t, id, 'ats.bullhorn.opt-out', 'dead');
    expect(delivery.attempts).toBe(1);
    expect(delivery.lastError).toContain("Invalid field 'customTextOptIn'");
    expect(bullhorn.candidates.get(jordan.id)!.smsOptIn).toBe(true);
  });
});

describe('ATS off until configured', () => {
  it('starts without credentials and lists both subscribers disabled, naming the variables', async () => {
    const t = await createTestApp({ modules: [AtsModule] });
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      const reason =
        'BULLHORN_CLIENT_ID is not set; BULLHORN_CLIENT_SECRET is not set; BULLHORN_REFRESH_TOKEN is not set';
      expect(body.subscribers).toEqual([
        expect.objectContaining({ id: 'ats.bullhorn.notes', enabled: false, reason }),
        expect.objectContaining({ id: 'ats.bullhorn.opt-out', enabled: false, reason }),
      ]);
    } finally {
      await t.close();
    }
  });

  it('lists only the variable still missing', async () => {
    const t = await createTestApp({
      modules: [AtsModule],
      env: { BULLHORN_CLIENT_ID: 'id', BULLHORN_CLIENT_SECRET: 'secret' },
    });
    try {
      const { body } = await t.admin('/admin/api/routes').expect(200);
      expect(body.subscribers.map((s: { reason?: string }) => s.reason)).toEqual([
        'BULLHORN_REFRESH_TOKEN is not set',
        'BULLHORN_REFRESH_TOKEN is not set',
      ]);
    } finally {
      await t.close();
    }
  });

  it('stops the start when a route enables one, naming the variable', async () => {
    const error = await createTestApp({
      modules: [AtsModule],
      env: { BULLHORN_CLIENT_ID: 'id', BULLHORN_CLIENT_SECRET: 'secret' },
      config: 'subscribers:\n  ats.bullhorn.notes:\n    enabled: true\n',
    }).then(
      async (t) => {
        await t.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      expect.stringMatching(/^subscribers\.ats\.bullhorn\.notes: .*BULLHORN_REFRESH_TOKEN is not set/),
    ]);
  });
});
