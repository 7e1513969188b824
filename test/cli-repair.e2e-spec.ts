import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PermanentFailure } from '../src/platform/bus/index.js';
import { ADMIN_TOKEN, configDirWith, eventually, startApp, tempDir, TestApp } from './support/app.js';
import { switchyard } from './support/cli.js';
import { fixture } from './support/events.js';
import { Probe, ProbeModule } from './support/probe.subscribers.js';

describe('switchyard routes, replay, retry, redrive, backfill', () => {
  let t: TestApp;
  let probe: Probe;
  let env: Record<string, string>;

  beforeAll(async () => {
    execFileSync(process.execPath, ['scripts/build-if-needed.mjs'], { stdio: 'inherit' });
    t = await startApp({
      configDir: configDirWith(
        'delivery:\n  maxAttempts: 2\n  backoff: { initialMs: 20, maxMs: 40, jitter: false }\n',
      ),
      modules: [ProbeModule],
    });
    await t.app.listen(0);
    probe = t.app.get(Probe);
    env = { URL: `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`, ADMIN_TOKEN };
  }, 120_000);
  afterAll(() => t.close());

  const cli = (...args: string[]) => switchyard([...args, '--url', env.URL], { ADMIN_TOKEN });
  const deliveries = async (id: string) =>
    (await t.admin(`/admin/api/events/${id}`).expect(200)).body.deliveries;

  it('prints the routing table', async () => {
    const run = await cli('routes');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^contact\.created → .*test\.contacts/m);
  });

  it('explains a payload file', async () => {
    const file = join(tempDir(), 'payload.json');
    writeFileSync(
      file,
      JSON.stringify({ event: 'contact.created', request_id: 'x', data: fixture('contact.created') }),
    );
    const run = await cli('routes', '--explain', file);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('✓ test.contacts');
    expect(run.stdout).toMatch(/✗ test\.steady: does not subscribe to contact\.created/);
  });

  it('replays an event to one subscriber', async () => {
    const id = await t.ingest('message.created');
    await eventually(() => probe.of('test.steady').some((c) => c.eventId === id));
    const run = await cli('replay', id, '--subscriber', 'test.steady');
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/^queued delivery \w+ to test\.steady$/m);
    await eventually(() => probe.of('test.steady').filter((c) => c.eventId === id).length === 2);
  });

  it('retries and redrives dead deliveries', async () => {
    let down = true;
    probe.on('test.flaky', () => {
      if (down) throw new PermanentFailure('down');
    });
    const ids = [await t.ingest('message.created'), await t.ingest('message.created')];
    const dead = await eventually(async () => {
      const all = await Promise.all(ids.map(deliveries));
      const flaky = all.map((list) =>
        list.find((d: { subscriberId: string }) => d.subscriberId === 'test.flaky'),
      );
      return flaky.every((d) => d?.status === 'dead') && flaky;
    });
    down = false;
    const retry = await cli('retry', dead[0].id);
    expect(retry).toMatchObject({
      code: 0,
      stdout: `delivery ${dead[0].id} to test.flaky is pending again\n`,
    });
    const redrive = await cli('redrive', 'test.flaky');
    expect(redrive.stdout).toBe('1 dead deliveries of test.flaky queued again\n');
    await eventually(async () =>
      (await deliveries(ids[1])).some(
        (d: { subscriberId: string; status: string }) =>
          d.subscriberId === 'test.flaky' && d.status === 'succeeded',
      ),
    );
  });

  it('backfills in a dry run by default and with --run for real', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const dry = await cli('backfill', 'test.contacts', '--since', since);
    expect(dry).toMatchObject({
      code: 0,
      stdout: '0 event(s) would be delivered to test.contacts; run again with --run to deliver them\n',
    });
    const run = await cli('backfill', 'test.contacts', '--since', since, '--run');
    expect(run.stdout).toBe('0 delivery(ies) queued for test.contacts\n');
  });

  it('says what went wrong: a wrong token, an unknown subscriber, an unreachable service', async () => {
    const unauthorised = await switchyard(['routes', '--url', env.URL], { ADMIN_TOKEN: 'wrong' });
    expect(unauthorised.code).toBe(1);
    expect(unauthorised.stderr).toMatch(/answered 401: .*\(set ADMIN_TOKEN or pass --token\)/);
    const unknown = await cli('redrive', 'nobody');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('answered 404: no subscriber nobody');
    const unreachable = await switchyard(['routes', '--url', 'http://127.0.0.1:9'], { ADMIN_TOKEN });
    expect(unreachable.stderr).toMatch(/could not reach http:\/\/127\.0\.0\.1:9\/admin\/api\/routes/);
  });
});
