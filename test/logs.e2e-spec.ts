import { rmSync } from 'node:fs';
import { ADMIN_TOKEN, tempDir, WHIPPY_KEY, type TestApp } from './support/app.js';
import { appWithLogs, BODY, deliveriesDone, EMAIL, OTHER_PHONE, PHONE, sendMessage } from './support/logs.js';
import { spawnService } from './support/service.js';

// nestjs-pino keeps one logger per process (the first app's): each app whose lines a test reads
// gets its own file. logs-unredacted.e2e-spec.ts has the development one.
describe('log lines', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('tell each event and delivery outcome once, with no phone, email, body or secret', async () => {
    const started = await appWithLogs({ LOG_LEVEL: 'info' });
    t = started.t;
    const { id, raw } = await sendMessage(t);
    await sendMessage(t, raw); // the same event again: a duplicate
    const deliveries = await deliveriesDone(t, id);
    // The answered signal (and the duplicate's line) follows the answer; the admin read above
    // comes after both requests finished.
    // A module's own structured line: body and token fields are removed, strings masked.
    const { Logger } = await import('nestjs-pino');
    t.app.get(Logger).log({ data: { body: BODY }, token: 'tok-123456', contact: EMAIL }, 'a module line');
    const lines = started.lines();
    const all = lines.join('\n');
    expect(lines.some((line) => line.includes('a module line'))).toBe(true);

    for (const secret of [
      PHONE,
      OTHER_PHONE,
      '5555550123',
      EMAIL,
      'night shift',
      'tok-123456',
      WHIPPY_KEY,
      ADMIN_TOKEN,
    ])
      expect(all).not.toContain(secret);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();

    const received = lines.filter((line) => line.includes(`event ${id} received`));
    expect(received).toHaveLength(2);
    expect(received.filter((line) => line.includes('duplicate=false'))).toHaveLength(1);
    expect(received.filter((line) => line.includes('duplicate=true'))).toHaveLength(1);
    expect(received[0]).toContain('source=whippy type=message.created');

    const flaky = deliveries.find((d) => d.subscriberId === 'test.logs.flaky')!;
    const dead = deliveries.find((d) => d.subscriberId === 'test.logs.dead')!;
    const about = (delivery: { id: string }) =>
      lines.filter((line) => line.includes(`delivery ${delivery.id} `));
    expect(about(flaky)).toHaveLength(2);
    expect(about(flaky)[0]).toMatch(
      /failed \(attempt 1\): partner timed out sending to \[phone\]; next attempt at /,
    );
    expect(JSON.parse(about(flaky)[0]).level).toBe(40);
    expect(about(flaky)[1]).toContain('succeeded (attempt 2)');
    expect(about(dead)).toHaveLength(1);
    expect(about(dead)[0]).toContain(
      'is dead after 1 attempt(s): PermanentFailure: partner refused [phone] <[email]>',
    );
    expect(JSON.parse(about(dead)[0]).level).toBe(50);

    // Nest's line per module and per route stays below info.
    expect(all).not.toMatch(/InstanceLoader|RoutesResolver|RouterExplorer/);
  });
});

describe('log.redact: false outside development', () => {
  it('stops the built service naming log.redact', async () => {
    const dataDir = tempDir();
    try {
      const service = await spawnService(
        {
          APP_ENV: 'production',
          DATA_DIR: dataDir,
          WHIPPY_SIGNING_KEYS: 'k',
          ADMIN_TOKEN,
          LOG_REDACT: 'false',
        },
        { waitReady: false },
      );
      expect(await service.exited).toBe(1);
      expect(service.output()).toMatch(/log\.redact: may be false only with APP_ENV=development/);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('development output', () => {
  it('is one readable (non-JSON) line per entry', async () => {
    const dataDir = tempDir();
    try {
      const service = await spawnService({ APP_ENV: 'development', DATA_DIR: dataDir, ADMIN_TOKEN });
      service.process.kill('SIGTERM');
      await service.exited;
      const lines = service.output().split('\n').filter(Boolean);
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines) expect(line.startsWith('{')).toBe(false);
      expect(service.output()).toContain('Switchyard');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
