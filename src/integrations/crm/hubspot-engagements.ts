import type { WhippyMessage } from '../../platform/events/index.js';
import type { HubspotTimelineSettings } from './crm.settings.js';
import type { HubspotObjectType, HubspotProperties } from './hubspot.client.js';

/** The HubSpot engagement a Whippy message becomes. */
export interface Engagement {
  type: Exclude<HubspotObjectType, 'contacts'>;
  properties: HubspotProperties;
}

/**
 * The engagement a message becomes on the timeline, or why it is not logged (yet): sms and
 * mms as SMS communications, whatsapp as WHATS_APP, email as an email, note as a note;
 * calls only on `call.analyzed`. Directions and statuses follow the settings.
 */
export function messageEngagement(
  message: WhippyMessage,
  settings: HubspotTimelineSettings,
  /** Already on the timeline: updated in place whatever its direction or status now. */
  logged = false,
): { engagement: Engagement } | { skip: string } {
  const type = message.type ?? 'sms';
  const timestamp = (message.createdAt?.date ?? new Date()).toISOString();
  if (type === 'note') {
    if (!settings.notes) return { skip: 'notes are not logged (crm.hubspot.timeline.notes)' };
    return {
      engagement: {
        type: 'notes',
        properties: { hs_note_body: message.body ?? '', hs_timestamp: timestamp },
      },
    };
  }
  if (type === 'call') return { skip: 'calls are logged on call.analyzed' };

  const direction = message.direction ?? '';
  if (!logged && !settings.directions.includes(direction)) {
    return { skip: `${direction || 'no'} direction is not logged (crm.hubspot.timeline.directions)` };
  }
  const statuses = direction === 'INBOUND' ? settings.inboundStatuses : settings.outboundStatuses;
  if (!logged && statuses.length > 0 && !statuses.includes(message.deliveryStatus ?? '')) {
    return { skip: `delivery status ${message.deliveryStatus ?? 'null'} is not logged yet` };
  }

  if (type === 'email') {
    if (!settings.emails) return { skip: 'emails are not logged (crm.hubspot.timeline.emails)' };
    const properties: HubspotProperties = {
      hs_timestamp: timestamp,
      hs_email_direction: direction === 'INBOUND' ? 'INCOMING_EMAIL' : 'EMAIL',
      hs_email_status: 'SENT',
      hs_email_subject: message.emailSubject ?? '',
      hs_email_text: message.body ?? '',
    };
    if (message.emailHtmlBody) properties.hs_email_html = message.emailHtmlBody;
    return { engagement: { type: 'emails', properties } };
  }
  if (!['sms', 'mms', 'whatsapp'].includes(type)) return { skip: `message type ${type} is not logged` };

  const properties: HubspotProperties = {
    hs_communication_channel_type: type === 'whatsapp' ? 'WHATS_APP' : 'SMS',
    hs_communication_logged_from: 'CRM',
    hs_communication_body: withAttachments(message),
    hs_timestamp: timestamp,
  };
  if (settings.statusProperty && message.deliveryStatus) {
    properties[settings.statusProperty] = message.deliveryStatus;
  }
  return { engagement: { type: 'communications', properties } };
}

/** An analysed call as a HubSpot call: summary and transcript, duration, direction, recording. */
export function callEngagement(call: WhippyMessage): Engagement {
  const summary = call.metadata?.analysis?.callSummary;
  const transcript = call.body;
  const recording = call.attachments?.find(
    (attachment) => attachment.url && (attachment.contentType ?? '').startsWith('audio/'),
  );
  const inbound = call.direction === 'INBOUND';
  const properties: HubspotProperties = {
    hs_timestamp: (call.createdAt?.date ?? new Date()).toISOString(),
    hs_call_title: inbound ? 'Inbound call (Whippy)' : 'Outbound call (Whippy)',
    hs_call_body: [summary, transcript ? `Transcript:\n${transcript}` : undefined]
      .filter(Boolean)
      .join('\n\n'),
    hs_call_direction: inbound ? 'INBOUND' : 'OUTBOUND',
    hs_call_status: 'COMPLETED',
  };
  if (call.metadata?.duration !== null && call.metadata?.duration !== undefined) {
    properties.hs_call_duration = String(Math.round(call.metadata.duration * 1000));
  }
  if (recording?.url) properties.hs_call_recording_url = recording.url;
  if (call.from) properties.hs_call_from_number = call.from;
  if (call.to) properties.hs_call_to_number = call.to;
  return { type: 'calls', properties };
}

/** MMS pictures are links on the timeline: HubSpot communications carry text only. */
function withAttachments(message: WhippyMessage): string {
  const links = (message.attachments ?? []).map((attachment) => attachment.url).filter(Boolean);
  return [message.body ?? '', ...links].filter(Boolean).join('\n');
}
