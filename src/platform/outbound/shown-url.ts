/**
 * A URL as logs and stored errors may show it: the origin (never credentials) and the first
 * path segment, nothing of the query. Slack-style webhook URLs carry their secret in the
 * path (`/services/T000/B000/XXXX`), so the rest of the path is cut by default.
 */
export function shownUrl(url: string | URL, options: { label?: string; showPath?: boolean } = {}): string {
  if (options.label) return options.label;
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '(an unreadable URL)';
  }
  if (options.showPath) return `${parsed.origin}${parsed.pathname}`;
  const segments = parsed.pathname.split('/').filter(Boolean);
  if (segments.length === 0) return parsed.origin;
  return `${parsed.origin}/${segments[0]}${segments.length > 1 ? '/…' : ''}`;
}
