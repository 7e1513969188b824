import { PermanentFailure } from '../src/platform/bus/index.js';
import type { DiagnosticsReport } from '../src/platform/observability/finding.js';
import { configDirWith, eventually, startApp, TestApp } from './support/app.js';
import { fixture } from './support/events.js';
import { describeWith, freshDatabase, postgres } from './support/external.js';
import { sample } from './support/metrics.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

const server = await postgres();

describeWith(server, 'metrics and the doctor on PostgreSQL (DATABASE_URL)', () => {
  let t: TestApp;
  let database: { url: string; drop(): Promise<void> };

  beforeAll(async () => {
    database = await freshDatabase(server.url!);
    t = await startApp({
      env: { DATABASE_URL: database.url },
      configDir: configDirWith(
        'delivery:\n  maxAttempts: 1\nsubscribers:\n  test.everything: { enabled: false }\n  test.ordered: { enabled: false }\n  ProbeSubscribers.onConversationCreated: { enabled: false }\n',
      ),
      modules: [ProbeModule],
    });
  });
  afterAll(async () => {
    await t?.close();
    await database?.drop();
  });

  it('answers every check from the PostgreSQL store', async () => {
    t.app.get(Probe).on('test.flaky', () => {
      throw new PermanentFailure('refused');
    });
    const message = await t.ingest('message.created', { ...fixture('message.created'), sentiment_score: 1 });
    await t.ingest('contact.created');
    const unwanted = await t.ingest('conversation.created');
    await t.ingest('conversation.updated', { ...fixture('conversation.updated'), unread_count: 'many' });

    const report = await eventually(async () => {
      const r: DiagnosticsReport = (await t.admin('/admin/api/diagnostics').expect(200)).body;
      return r.findings.some((f) => f.id === 'delivery.dead') && r;
    });
    const ids = report.findings.map((f) => `${f.id}${f.subscriber ? `:${f.subscriber}` : ''}`);
    expect(ids).toEqual(
      expect.arrayContaining([
        'source.receiving',
        'delivery.dead:test.flaky',
        'types.never-arrived',
        'types.unwanted',
        'schema.extra-fields',
        'schema.invalid-events',
      ]),
    );
    expect(report.findings.find((f) => f.id === 'types.unwanted')!.evidence).toContain(
      `conversation.created ×1 (e.g. event ${unwanted})`,
    );
    expect(report.findings.find((f) => f.id === 'schema.extra-fields')!.evidence).toContain(
      `data.sentiment_score in message.created: 1 event(s), first seen`,
    );
    expect(report.findings.find((f) => f.id === 'delivery.dead')!.evidence).toContain(`of event ${message}`);

    const text = (await t.http.get('/metrics').expect(200)).text;
    expect(
      sample(text, 'switchyard_delivery_attempts_total', { subscriber: 'test.flaky', outcome: 'dead' }),
    ).toBe(1);
    expect(sample(text, 'switchyard_delivery_backlog', { subscriber: 'test.flaky' })).toBe(0);
    expect(
      sample(text, 'switchyard_webhook_requests_total', {
        source: 'whippy',
        type: 'message.created',
        outcome: 'stored',
        status: '200',
      }),
    ).toBe(1);
  });
});
