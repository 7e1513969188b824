import { plainToInstance } from 'class-transformer';
import { WhippyMessage, WhippyTimestamp } from '../../platform/events/index.js';
import { HubspotTimelineSettings } from './crm.settings.js';
import { isNewer } from './hubspot-contact.resolver.js';
import { messageEngagement } from './hubspot-engagements.js';

const message = (fields: Record<string, unknown>): WhippyMessage =>
  plainToInstance(
    WhippyMessage,
    { id: 'm-1', body: 'Hi', created_at: '2024-05-01T10:00:00Z', ...fields },
    {
      excludeExtraneousValues: true,
    },
  );

describe(messageEngagement.name, () => {
  const defaults = new HubspotTimelineSettings();

  it.each([
    [{ type: 'sms', direction: 'INBOUND', delivery_status: 'webhook_delivered' }, 'communications'],
    [{ type: 'mms', direction: 'OUTBOUND', delivery_status: 'delivered' }, 'communications'],
    [{ type: 'whatsapp', direction: 'OUTBOUND', delivery_status: 'delivery_unconfirmed' }, 'communications'],
    [{ type: 'email', direction: 'INBOUND', delivery_status: null }, 'emails'],
    [{ type: 'note', direction: 'OUTBOUND', delivery_status: null }, 'notes'],
  ])('logs %j as %s by default', (fields, type) => {
    const outcome = messageEngagement(message(fields), defaults);
    expect('engagement' in outcome && outcome.engagement.type).toBe(type);
  });

  it.each([
    [{ type: 'sms', direction: 'OUTBOUND', delivery_status: 'sent' }, 'delivery status sent'],
    [{ type: 'call', direction: 'OUTBOUND', delivery_status: 'delivered' }, 'call.analyzed'],
  ])('does not log %j (yet)', (fields, why) => {
    const outcome = messageEngagement(message(fields), defaults);
    expect('skip' in outcome && outcome.skip).toContain(why);
  });

  it('updates a message already logged whatever its status now', () => {
    const failed = message({ type: 'sms', direction: 'OUTBOUND', delivery_status: 'delivery_failed' });
    expect('engagement' in messageEngagement(failed, defaults, true)).toBe(true);
  });

  it('maps channels and writes the status to a configured property', () => {
    const settings = Object.assign(new HubspotTimelineSettings(), { statusProperty: 'whippy_status' });
    const outcome = messageEngagement(
      message({ type: 'whatsapp', direction: 'OUTBOUND', delivery_status: 'delivered' }),
      settings,
    );
    expect('engagement' in outcome && outcome.engagement.properties).toEqual({
      hs_communication_channel_type: 'WHATS_APP',
      hs_communication_logged_from: 'CRM',
      hs_communication_body: 'Hi',
      hs_timestamp: '2024-05-01T10:00:00.000Z',
      whippy_status: 'delivered',
    });
  });
});

describe(isNewer.name, () => {
  const at = (raw: string) => WhippyTimestamp.parse(raw)!;
  it.each([
    ['2024-05-01T10:00:00.000002Z', '2024-05-01T10:00:00.000001Z', true],
    ['2024-05-01T10:00:00.000001Z', '2024-05-01T10:00:00.000001Z', false],
    ['2024-05-01T10:00:00.000001Z', '2024-05-01T10:00:00.000002Z', false],
    ['2024-05-01T10:00:01', '2024-05-01T10:00:00.999999Z', true],
    ['2024-05-01T12:00:00+02:00', '2024-05-01T10:00:00.5Z', false],
  ])('%s after %s: %p', (next, stored, expected) => {
    expect(isNewer(at(next), stored)).toBe(expected);
  });

  it('applies an event that cannot be ordered', () => {
    expect(isNewer(null, '2024-05-01T10:00:00Z')).toBe(true);
    expect(isNewer(at('2024-05-01T10:00:00Z'), undefined)).toBe(true);
  });
});
