import type { BullhornCandidate, BullhornClient } from './bullhorn.client.js';

/**
 * The ways a phone number is commonly typed into Bullhorn, for an E.164 number from Whippy:
 * recruiters type `(555) 555-0123`, imports bring `555-555-0123` or `+15555550123`, and
 * Bullhorn's search matches the text as stored.
 */
export function phoneVariants(phone: string): string[] {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return [phone.trim()];
  const variants = new Set([phone.trim(), `+${digits}`, digits]);
  // North American numbers (+1 and ten digits) are stored in national formats more often than not.
  const national = digits.length === 11 && digits.startsWith('1') ? digits.slice(1) : undefined;
  if (national) {
    const [area, exchange, line] = [national.slice(0, 3), national.slice(3, 6), national.slice(6)];
    for (const variant of [
      national,
      `${area}-${exchange}-${line}`,
      `(${area}) ${exchange}-${line}`,
      `(${area})${exchange}-${line}`,
      `${area}.${exchange}.${line}`,
      `${area} ${exchange} ${line}`,
      `1-${area}-${exchange}-${line}`,
      `+1 ${area}-${exchange}-${line}`,
      `+1 (${area}) ${exchange}-${line}`,
    ]) {
      variants.add(variant);
    }
  }
  return [...variants];
}

/** Two phone numbers are the same when their digits agree (a missing country code allowed). */
export function samePhone(a: string | null | undefined, b: string | null | undefined): boolean {
  const x = (a ?? '').replace(/\D/g, '');
  const y = (b ?? '').replace(/\D/g, '');
  if (x.length < 7 || y.length < 7) return false;
  if (x === y) return true;
  const [longer, shorter] = x.length > y.length ? [x, y] : [y, x];
  return shorter.length >= 10 && longer.endsWith(shorter);
}

/** A value quoted for a Lucene phrase query. */
const phrase = (value: string): string => `"${value.replace(/(["\\])/g, '\\$1')}"`;

const isEmail = (address: string): boolean => address.includes('@');

/** Finds Bullhorn candidates by a Whippy contact's phone number (phone or mobile) or email. */
export class CandidateFinder {
  constructor(private readonly client: BullhornClient) {}

  /** Every live candidate with this phone number or email address, best match first. */
  async find(
    address: string,
    signal?: AbortSignal,
    fields: readonly string[] = [],
  ): Promise<BullhornCandidate[]> {
    if (isEmail(address)) {
      const email = address.trim().toLowerCase();
      const query = ['email', 'email2', 'email3'].map((field) => `${field}:${phrase(email)}`).join(' OR ');
      const found = await this.client.searchCandidates(
        query,
        ['email', 'email2', 'email3', ...fields],
        signal,
      );
      return found.filter((c) =>
        [c.email, c.email2, c.email3].some(
          (value) => typeof value === 'string' && value.toLowerCase() === email,
        ),
      );
    }
    const variants = phoneVariants(address);
    const query = ['phone', 'mobile']
      .flatMap((field) => variants.map((variant) => `${field}:${phrase(variant)}`))
      .join(' OR ');
    const found = await this.client.searchCandidates(query, ['phone', 'mobile', ...fields], signal);
    // Search is fuzzy about punctuation; keep the candidates whose number is really this one.
    return found.filter((c) => samePhone(c.phone, address) || samePhone(c.mobile, address));
  }
}

/** What a match was made on, for logs that must not show the phone number or email itself. */
export const addressKind = (address: string): 'email' | 'phone' => (isEmail(address) ? 'email' : 'phone');
