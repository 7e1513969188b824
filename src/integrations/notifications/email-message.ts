import type { Notice } from './notice.js';

export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

/** A notice as an email: the title as subject, the quote as a blockquote, the details below. */
export function emailMessage(notice: Notice): EmailMessage {
  const quote = notice.quote
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
  const text = [notice.title, '', ...(notice.quote ? [quote, ''] : []), ...notice.details].join('\n');
  const html = [
    `<p><strong>${escape(notice.title)}</strong></p>`,
    notice.quote ? `<blockquote>${escape(notice.quote).replace(/\n/g, '<br>')}</blockquote>` : '',
    notice.details.length > 0 ? `<p style="color:#666">${notice.details.map(escape).join('<br>')}</p>` : '',
  ].join('\n');
  // Header folding and encoding are nodemailer's; a subject holds no line break.
  return { subject: notice.title.replace(/\s+/g, ' ').slice(0, 200), text, html };
}

const escape = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
