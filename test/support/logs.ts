import { Writable } from 'node:stream';
import { Injectable, Module } from '@nestjs/common';
import { DeliveryContext, OnWhippyEvent, PermanentFailure } from '../../src/platform/bus/index.js';
import { MessageCreated } from '../../src/platform/events/index.js';
import { configDirWith, createTestApp, eventually, WHIPPY_KEY, type TestApp } from './app.js';
import { envelope, fixture } from './events.js';
import { whippySignature } from './sign.js';

export const PHONE = '+15555550123';
export const OTHER_PHONE = '+15555550100';
export const EMAIL = 'jane.doe@example.com';
export const BODY = 'Please call me back about the night shift, my manager said it was fine';

/** A partner that fails the first attempt, and one that refuses for good; both name a phone. */
@Injectable()
class LogProbe {
  attempts = 0;

  @OnWhippyEvent(MessageCreated, { id: 'test.logs.flaky' })
  flaky(event: MessageCreated, context: DeliveryContext) {
    this.attempts += 1;
    if (context.attempt === 1) throw new Error(`partner timed out sending to ${event.data.from}`);
  }

  @OnWhippyEvent(MessageCreated, { id: 'test.logs.dead' })
  dead(event: MessageCreated) {
    throw new PermanentFailure(`partner refused ${event.data.from} <${EMAIL}>`);
  }
}

@Module({ providers: [LogProbe] })
class LogProbeModule {}

const CONFIG = 'delivery:\n  maxAttempts: 3\n  backoff: { initialMs: 20, maxMs: 40, jitter: false }\n';

/** Starts the app with its log lines captured; `lines()` is every line written so far. */
export async function appWithLogs(
  env: Record<string, string>,
): Promise<{ t: TestApp; lines: () => string[] }> {
  const written: string[] = [];
  const t = await createTestApp({
    modules: [LogProbeModule],
    configDir: configDirWith(CONFIG),
    env,
    // A real stream: in development the lines go through pino-pretty, which pipes into it.
    logs: new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        written.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    }),
  });
  return { t, lines: () => written };
}

/** A message with a phone, an email and a body, signed; resolves with the stored id. */
export async function sendMessage(t: TestApp, raw?: string): Promise<{ id: string; raw: string }> {
  const body =
    raw ??
    envelope('message.created', {
      ...fixture('message.created'),
      from: PHONE,
      to: OTHER_PHONE,
      body: `${BODY}, or write to ${EMAIL}`,
    });
  const res = await t.http
    .post('/webhooks/whippy')
    .set('content-type', 'application/json')
    .set('x-whippy-signature', whippySignature(WHIPPY_KEY, body).header)
    .send(body)
    .expect(200);
  return { id: res.body.id, raw: body };
}

export const deliveriesDone = (t: TestApp, id: string) =>
  eventually(async () => {
    const res = await t.admin(`/admin/api/events/${id}`).expect(200);
    const deliveries = res.body.deliveries as { id: string; subscriberId: string; status: string }[];
    const finished = deliveries.filter((d) => d.status === 'succeeded' || d.status === 'dead');
    return finished.length === 2 && deliveries;
  });
