import type { WhippyMessage } from '../../platform/events/index.js';

const CHANNELS: Record<string, string> = {
  sms: 'SMS',
  mms: 'MMS',
  whatsapp: 'WhatsApp message',
  email: 'email',
  note: 'note',
};

/** The Note text of a message: what it was, which way it went, and what it said. */
export function messageComments(message: WhippyMessage): string {
  const channel = CHANNELS[message.type ?? ''] ?? 'message';
  const heading = `${message.direction === 'INBOUND' ? 'Received' : 'Sent'} ${channel} via Whippy`;
  const lines = [message.emailSubject ? `${heading}: ${message.emailSubject}` : `${heading}:`, ''];
  lines.push(message.body?.trim() || '(no text)');
  const files = (message.attachments ?? []).map((a) => a.url).filter(Boolean);
  if (files.length > 0) lines.push('', 'Attachments:', ...files.map((url) => `- ${url}`));
  return lines.join('\n');
}

/** The Note text of an analysed call: the summary first, the recording, then the transcript. */
export function callComments(call: WhippyMessage): string {
  const direction = call.direction === 'INBOUND' ? 'Inbound' : 'Outbound';
  const duration = call.metadata?.duration;
  const lines = [`${direction} call via Whippy${duration ? ` (${formatDuration(duration)})` : ''}`, ''];
  const summary = call.metadata?.analysis?.callSummary?.trim();
  lines.push(`Summary: ${summary || '(none)'}`);
  const recording = (call.attachments ?? []).find((a) => a.url)?.url;
  if (recording) lines.push('', `Recording: ${recording}`);
  if (call.body?.trim()) lines.push('', 'Transcript:', call.body.trim());
  return lines.join('\n');
}

function formatDuration(seconds: number): string {
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes} min ${whole % 60} s` : `${whole} s`;
}
