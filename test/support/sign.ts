import { createHmac } from 'node:crypto';

/**
 * Signatures computed the way each sender does, written out here rather than taken from
 * src/, so a mistake in the service's schemes cannot hide behind the same mistake in tests.
 */
export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

const mac = (algorithm: string, key: Buffer | string, data: string | Buffer) =>
  createHmac(algorithm, key).update(data).digest();

export function whippySignature(
  key: string,
  body: string | Buffer,
  options: { t?: number; encoding?: 'base64' | 'base64-unpadded' | 'hex' } = {},
): { t: number; signature: string; header: string } {
  const t = options.t ?? nowSeconds();
  const digest = mac('sha256', key, Buffer.concat([Buffer.from(`${t}.`), Buffer.from(body)]));
  const encoding = options.encoding ?? 'base64';
  const signature =
    encoding === 'hex'
      ? digest.toString('hex')
      : encoding === 'base64-unpadded'
        ? digest.toString('base64').replace(/=+$/, '')
        : digest.toString('base64');
  return { t, signature, header: `t=${t},v1=${signature}` };
}

export function standardWebhooksHeaders(
  secret: string,
  body: string,
  options: { id?: string; t?: number; prefix?: 'webhook' | 'svix' } = {},
): Record<string, string> {
  const id = options.id ?? `msg_${Math.random().toString(36).slice(2)}`;
  const t = options.t ?? nowSeconds();
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = mac('sha256', key, `${id}.${t}.${body}`).toString('base64');
  const prefix = options.prefix ?? 'webhook';
  return {
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: String(t),
    [`${prefix}-signature`]: `v1,${signature}`,
  };
}

export function hmacHex(key: string, data: string, algorithm = 'sha256'): string {
  return mac(algorithm, key, data).toString('hex');
}
