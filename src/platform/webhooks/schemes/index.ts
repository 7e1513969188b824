import type { SourceConfig } from '../../../config/app-config.js';
import { HmacScheme } from './hmac.scheme.js';
import type { SignatureScheme } from './signature-scheme.js';
import { StandardWebhooksScheme } from './standard-webhooks.scheme.js';
import { WhippyScheme } from './whippy.scheme.js';

export * from './signature-scheme.js';
export { HmacScheme, StandardWebhooksScheme, WhippyScheme };

/** The scheme a source is configured with. */
export function schemeFor(source: Pick<SourceConfig, 'scheme' | 'hmac'>): SignatureScheme {
  switch (source.scheme) {
    case 'standard-webhooks':
      return new StandardWebhooksScheme();
    case 'hmac':
      return new HmacScheme(source.hmac!);
    default:
      return new WhippyScheme();
  }
}
