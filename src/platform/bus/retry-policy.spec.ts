import { jest } from '@jest/globals';
import { PermanentFailure, RetryLater } from './delivery-errors.js';
import { afterFailure, backoffDelay, RetrySettings } from './retry-policy.js';

const settings: RetrySettings = {
  maxAttempts: 3,
  maxThrottledAttempts: 4,
  backoff: { initialMs: 100, maxMs: 10_000, jitter: false },
};
const withJitter: RetrySettings = { ...settings, backoff: { ...settings.backoff, jitter: true } };

describe(afterFailure.name, () => {
  it('retries a thrown error with exponential backoff, then makes it dead at maxAttempts', () => {
    const error = new Error('CRM is down');
    expect(afterFailure(error, { attempts: 1, throttles: 0 }, settings)).toEqual({
      status: 'failed',
      error: 'CRM is down',
      delayMs: 100,
      throttled: false,
    });
    expect(afterFailure(error, { attempts: 2, throttles: 0 }, settings)).toMatchObject({ delayMs: 200 });
    expect(afterFailure(error, { attempts: 3, throttles: 0 }, settings)).toEqual({
      status: 'dead',
      error: 'CRM is down',
      throttled: false,
    });
  });

  it('makes PermanentFailure dead at once', () => {
    expect(afterFailure(new PermanentFailure('gone'), { attempts: 1, throttles: 0 }, settings)).toMatchObject(
      {
        status: 'dead',
        error: 'PermanentFailure: gone',
      },
    );
  });

  it.each([NaN, Infinity, -Infinity, -1])(
    'treats RetryLater(%p) as an ordinary failure of the delivery',
    (delay) => {
      const verdict = afterFailure(new RetryLater(delay), { attempts: 1, throttles: 0 }, settings);
      expect(verdict).toMatchObject({ status: 'failed', delayMs: 100, throttled: false });
      expect(verdict.error).toMatch(/^RetryLater with an invalid delay/);
      expect(afterFailure(new RetryLater(delay), { attempts: 3, throttles: 0 }, settings).status).toBe(
        'dead',
      );
    },
  );

  it('waits at least what RetryLater asks, and at least the backoff floor, without using up maxAttempts', () => {
    expect(afterFailure(new RetryLater(2000), { attempts: 5, throttles: 3 }, settings)).toMatchObject({
      status: 'failed',
      delayMs: 2000,
      throttled: true,
    });
    // Retry-After: 0 (or a past date) still waits the floor, growing with each throttle.
    expect(afterFailure(new RetryLater(0), { attempts: 1, throttles: 0 }, settings)).toMatchObject({
      delayMs: 100,
    });
    expect(afterFailure(new RetryLater(0), { attempts: 4, throttles: 3 }, settings)).toMatchObject({
      delayMs: 800,
    });
  });

  it('caps what RetryLater asks at backoff.maxMs', () => {
    expect(afterFailure(new RetryLater(86_400_000), { attempts: 1, throttles: 0 }, settings)).toMatchObject({
      delayMs: 10_000,
    });
  });

  it('counts throttles past maxThrottledAttempts against maxAttempts', () => {
    // 4 throttles free; 2 more counted; a third counted one is the last.
    expect(afterFailure(new RetryLater(0), { attempts: 5, throttles: 4 }, settings)).toMatchObject({
      status: 'failed',
      throttled: false,
    });
    expect(afterFailure(new RetryLater(0), { attempts: 7, throttles: 4 }, settings).status).toBe('dead');
  });

  it('spreads throttled waits with jitter, never below what was asked', () => {
    const random = jest.fn(() => 0.999);
    const high = afterFailure(new RetryLater(1000), { attempts: 1, throttles: 0 }, withJitter, random);
    const low = afterFailure(new RetryLater(1000), { attempts: 1, throttles: 0 }, withJitter, () => 0);
    expect(low).toMatchObject({ delayMs: 1000 });
    expect(high).toMatchObject({ delayMs: 1500 });
  });
});

describe(backoffDelay.name, () => {
  it('doubles from initialMs up to maxMs; jitter keeps it in the upper half', () => {
    expect([1, 2, 3, 8, 40].map((n) => backoffDelay(n, settings.backoff))).toEqual([
      100, 200, 400, 10_000, 10_000,
    ]);
    expect(backoffDelay(3, withJitter.backoff, () => 0)).toBe(200);
    expect(backoffDelay(3, withJitter.backoff, () => 1)).toBe(400);
  });
});
