import type { DeliveryConfig, RetentionConfig } from './app-config.js';
import type { ConfigReader } from './config-reader.js';

/** `delivery`: attempts, backoff, concurrency, timeouts. */
export function readDelivery(r: ConfigReader, value: unknown): DeliveryConfig {
  const tree = r.section(value, 'delivery', [
    'maxAttempts',
    'maxThrottledAttempts',
    'backoff',
    'concurrency',
    'timeoutMs',
    'window',
  ]);
  const backoff = r.section(tree.backoff, 'delivery.backoff', ['initialMs', 'maxMs', 'jitter']);
  const initialMs = r.integer(backoff.initialMs, 'delivery.backoff.initialMs', 1000, 1, 86_400_000);
  const maxMs = r.integer(backoff.maxMs, 'delivery.backoff.maxMs', 3_600_000, 1, 7 * 86_400_000);
  if (maxMs < initialMs) r.problem('delivery.backoff.maxMs', `must be at least initialMs (${initialMs})`);
  return {
    maxAttempts: r.integer(tree.maxAttempts, 'delivery.maxAttempts', 10, 1, 1000),
    maxThrottledAttempts: r.integer(
      tree.maxThrottledAttempts,
      'delivery.maxThrottledAttempts',
      50,
      0,
      10_000,
    ),
    backoff: { initialMs, maxMs, jitter: r.boolean(backoff.jitter, 'delivery.backoff.jitter', true) },
    concurrency: r.integer(tree.concurrency, 'delivery.concurrency', 10, 1, 1000),
    timeoutMs: r.integer(tree.timeoutMs, 'delivery.timeoutMs', 30_000, 1, 3_600_000),
    window: r.integer(tree.window, 'delivery.window', 1000, 10, 1_000_000),
  };
}

/** `retention`: what the store keeps and how it prunes. */
export function readRetention(r: ConfigReader, value: unknown): RetentionConfig {
  const tree = r.section(value, 'retention', ['enabled', 'days', 'deadDays', 'intervalMinutes', 'batchSize']);
  return {
    enabled: r.boolean(tree.enabled, 'retention.enabled', true),
    days: r.number(tree.days, 'retention.days', 30, 0.001, 36_500),
    deadDays: r.number(tree.deadDays, 'retention.deadDays', 90, 0.001, 36_500),
    intervalMinutes: r.number(tree.intervalMinutes, 'retention.intervalMinutes', 5, 0.01, 1440),
    batchSize: r.integer(tree.batchSize, 'retention.batchSize', 500, 1, 10_000),
  };
}
