import type { Notice } from './notice.js';

/** Block Kit's limits (Slack answers `invalid_blocks` past them). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  contextElements: 10,
  fallbackText: 3000,
} as const;

export interface SlackMessage {
  /** The plain-text fallback: notifications, screen readers, clients without blocks. */
  text: string;
  blocks: unknown[];
}

/** A notice as an incoming-webhook payload: header, quoted section, context; and a plain fallback. */
export function slackMessage(notice: Notice): SlackMessage {
  const blocks: unknown[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(notice.title, SLACK_LIMITS.headerText), emoji: false },
    },
  ];
  if (notice.quote) {
    const quoted = escape(notice.quote)
      .split('\n')
      .map((line) => `>${line}`)
      .join('\n');
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(quoted, SLACK_LIMITS.sectionText) } });
  }
  if (notice.details.length > 0) {
    blocks.push({
      type: 'context',
      elements: notice.details
        .slice(0, SLACK_LIMITS.contextElements)
        .map((detail) => ({ type: 'plain_text', text: cut(detail, SLACK_LIMITS.sectionText), emoji: false })),
    });
  }
  const text = notice.quote ? `${notice.title}: ${notice.quote.replace(/\s+/g, ' ')}` : notice.title;
  return { text: cut(text, SLACK_LIMITS.fallbackText), blocks };
}

/** Slack's three control characters in mrkdwn text. */
const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** At most `max` characters (UTF-16 code units, as Slack counts), an ellipsis marking a cut. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  // Never split a surrogate pair or an escape such as &amp;.
  if (/[\uD800-\uDBFF]/.test(text[end - 1])) end -= 1;
  const amp = text.lastIndexOf('&', end);
  if (amp > end - 5 && !text.slice(amp, end).includes(';')) end = amp;
  return `${text.slice(0, end)}…`;
}
