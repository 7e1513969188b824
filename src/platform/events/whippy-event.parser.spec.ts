import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { CampaignCreated, CampaignUpdated } from './campaign.events.js';
import {
  ContactCreated,
  ContactUpdated,
  WhippyCommunicationPreference,
  WhippyContact,
  WhippyContactTag,
  WhippyTag,
} from './contact.events.js';
import { ConversationCreated, ConversationUpdated, WhippyConversation } from './conversation.events.js';
import { EVENT_CLASSES, type WhippyEventOf } from './event-catalog.js';
import { WHIPPY_EVENT_TYPES, type WhippyEventType } from './event-types.js';
import { LeadCreated } from './lead.events.js';
import {
  MessageTemplateCreated,
  MessageTemplateDeleted,
  MessageTemplateUpdated,
} from './message-template.events.js';
import {
  CallAnalyzed,
  MessageCreated,
  MessageUpdated,
  WhippyCallAnalysis,
  WhippyMessage,
  WhippyMessageMetadata,
} from './message.events.js';
import { SequenceRunCreated, SequenceRunUpdated } from './sequence-run.events.js';
import {
  SequenceCreated,
  SequenceUpdated,
  WhippyQuietHours,
  WhippySequenceSettings,
} from './sequence.events.js';
import { StepContactCreated, StepContactUpdated, WhippyStepContact } from './step-contact.events.js';
import {
  StepCreated,
  StepUpdated,
  WhippyStep,
  WhippyStepAnalytics,
  WhippyStepScheduleOptions,
} from './step.events.js';
import { WhippyAttachment } from './whippy-attachment.js';
import { UnknownWhippyEvent } from './whippy-event.js';
import { parseWhippyEvent, type WhippyEventInput } from './whippy-event.parser.js';
import { WhippyObject } from './whippy-fields.js';
import { WhippyTimestamp } from './whippy-timestamp.js';

const RECEIVED_AT = new Date('2023-08-24T10:05:19.000Z');

const fixture = (type: string): Record<string, unknown> =>
  JSON.parse(readFileSync(`fixtures/whippy/${type}.json`, 'utf8')) as Record<string, unknown>;

const input = (type: string, data: Record<string, unknown>): WhippyEventInput => ({
  id: '01J8Z3K5Q0000000000000000',
  type,
  source: 'whippy',
  requestId: 'c0ffee00-0000-4000-8000-000000000001',
  receivedAt: RECEIVED_AT,
  data,
});

/** Parses `data` (the type's fixture by default) and insists it is valid. */
function parse<T extends WhippyEventType>(type: T, data = fixture(type)): WhippyEventOf<T> {
  const result = parseWhippyEvent(input(type, data));
  if (result.status !== 'valid') throw new Error(`${type} is ${result.status}: ${JSON.stringify(result)}`);
  return result.event as WhippyEventOf<T>;
}

function errorsOf(type: string, data: Record<string, unknown>): string[] {
  const result = parseWhippyEvent(input(type, data));
  if (result.status !== 'invalid') throw new Error(`expected invalid, got ${result.status}`);
  return result.errors;
}

/** Paths of every non-empty `extra` in a parsed tree: fields the catalog failed to declare. */
function undeclared(value: unknown, path = 'data'): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => undeclared(item, `${path}[${i}]`));
  if (!(value instanceof WhippyObject)) return [];
  const own = Object.keys(value.extra).map((key) => `${path}.${key}`);
  return [...own, ...Object.entries(value).flatMap(([key, child]) => undeclared(child, `${path}.${key}`))];
}

const at = (iso: string, raw = iso) => {
  const timestamp = new WhippyTimestamp(new Date(iso), raw);
  return expect.objectContaining({ date: timestamp.date, raw: timestamp.raw });
};

describe(parseWhippyEvent.name, () => {
  describe('fixtures', () => {
    it.each(WHIPPY_EVENT_TYPES)('%s parses into its class, every field declared', (type) => {
      const event = parse(type);
      expect(event).toBeInstanceOf(EVENT_CLASSES[type]);
      expect(event.data).toBeInstanceOf(EVENT_CLASSES[type].dataClass);
      expect(event).toMatchObject({
        id: '01J8Z3K5Q0000000000000000',
        type,
        source: 'whippy',
        requestId: 'c0ffee00-0000-4000-8000-000000000001',
        receivedAt: RECEIVED_AT,
      });
      expect(undeclared(event.data)).toEqual([]);
    });

    it('message.created: an inbound SMS', () => {
      const { data } = parse(MessageCreated.type);
      expect(data).toMatchObject({
        id: 'e4a7c1b9-2d3f-4a8e-b6c5-9f0e1d2c3b4a',
        from: '+15555550123',
        direction: 'INBOUND',
        type: 'sms',
        deliveryStatus: 'webhook_delivered',
        contactId: '7f3b2c1e-4a5d-4e8f-9b6a-2c1d0e9f8a7b',
        conversationId: 'b2c4d6e8-1a3b-4c5d-9e7f-0a1b2c3d4e5f',
        userId: null,
        translatedBody: null,
        attachments: [],
        createdAt: at('2023-08-24T10:05:18.432Z', '2023-08-24T10:05:18.432652Z'),
      });
      expect(data.metadata).toBeInstanceOf(WhippyMessageMetadata);
      expect(data.metadata).toMatchObject({ duration: null, agentId: null, analysis: null, extra: {} });
    });

    it('message.updated: an outbound SMS of a sequence step, delivered', () => {
      const { data } = parse(MessageUpdated.type);
      expect(data).toMatchObject({
        direction: 'OUTBOUND',
        deliveryStatus: 'delivered',
        userId: 1042,
        stepId: '4b3a2918-7f6e-4d5c-8b4a-392817f6e5d4',
        stepContactId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
        sequenceId: 'd7c6b5a4-9382-4716-a5f4-e3d2c1b0a998',
        campaignId: null,
        updatedAt: at('2023-08-24T10:30:06.774Z', '2023-08-24T10:30:06.774210Z'),
      });
    });

    it('call.analyzed: transcript, recording and analysis', () => {
      const { data } = parse(CallAnalyzed.type);
      expect(data).toBeInstanceOf(WhippyMessage);
      expect(data.type).toBe('call');
      expect(data.body).toMatch(/^Agent: Hi, this is Ava/);
      expect(data.attachments?.[0]).toBeInstanceOf(WhippyAttachment);
      expect(data.attachments?.[0]).toMatchObject({
        contentType: 'audio/wav',
        url: expect.stringMatching(/\.wav$/),
      });
      expect(data.metadata).toMatchObject({ duration: 187, agentId: 'a61d3f8e-2b5c-4e7a-9d04-7f1c3b5e8a29' });
      expect(data.metadata?.analysis).toBeInstanceOf(WhippyCallAnalysis);
      expect(data.metadata?.analysis?.callSummary).toMatch(/^The AI agent pre-screened Jordan Rivera/);
    });

    it("contact.created: '' for the missing email, preferences as class instances", () => {
      const { data } = parse(ContactCreated.type);
      expect(data).toMatchObject({
        name: 'Jordan Rivera',
        firstName: 'Jordan',
        lastName: 'Rivera',
        email: null,
        phone: '+15555550123',
        state: 'open',
        blocked: false,
        notes: [],
        contactTags: [],
      });
      const [preference] = data.communicationPreferences ?? [];
      expect(preference).toBeInstanceOf(WhippyCommunicationPreference);
      expect(preference).toMatchObject({
        channelId: '3d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a',
        optIn: true,
        optInDate: at('2023-08-24T10:05:18.298Z', '2023-08-24T10:05:18.298113Z'),
        optOutDate: null,
        lastCampaignDate: null,
      });
    });

    it('contact.updated: notes and tags', () => {
      const { data } = parse(ContactUpdated.type);
      expect(data.email).toBe('jordan.rivera@example.com');
      expect(data.notes?.[0]).toMatchObject({
        userId: 1042,
        body: expect.stringMatching(/^Forklift certified/),
      });
      const [tagging] = data.contactTags ?? [];
      expect(tagging).toBeInstanceOf(WhippyContactTag);
      expect(tagging.tag).toBeInstanceOf(WhippyTag);
      expect(tagging.tag).toMatchObject({ name: 'Warehouse Applicant', color: '#2E7D32' });
      expect(data.communicationPreferences?.[0].lastCampaignDate?.raw).toBe('2023-08-26T15:00:04.558921Z');
    });

    it('conversation.created and .updated: counts, assignment, a naive last_message_date', () => {
      const created = parse(ConversationCreated.type).data;
      expect(created).toMatchObject({
        status: 'open',
        channelType: 'phone',
        contactLanguage: 'en',
        unreadCount: 1,
        assignedUserId: null,
        assignedTeamId: null,
      });
      const updated = parse(ConversationUpdated.type).data;
      expect(updated).toMatchObject({ unreadCount: 0, assignedUserId: 1042 });
      expect(updated.lastMessageDate).toEqual(
        new WhippyTimestamp(new Date('2023-08-24T14:16:02Z'), '2023-08-24T14:16:02'),
      );
    });

    it('lead.new: contact, conversation and inbound message, each typed', () => {
      const { data } = parse(LeadCreated.type);
      expect(data.contact).toBeInstanceOf(WhippyContact);
      expect(data.conversation).toBeInstanceOf(WhippyConversation);
      expect(data.inboundMessage).toBeInstanceOf(WhippyMessage);
      expect(data.contact?.email).toBeNull();
      expect(data.conversation?.unreadCount).toBe(1);
      expect(data.inboundMessage).toMatchObject({
        direction: 'INBOUND',
        deliveryStatus: 'webhook_delivered',
      });
    });

    it('campaign.created and .updated: schedule_at null, then naive', () => {
      expect(parse(CampaignCreated.type).data).toMatchObject({
        status: 'draft',
        scheduleAt: null,
        attachments: [],
      });
      const { data } = parse(CampaignUpdated.type);
      expect(data.status).toBe('scheduled');
      expect(data.scheduleAt).toEqual(
        new WhippyTimestamp(new Date('2023-08-26T15:00:00Z'), '2023-08-26T15:00:00'),
      );
      expect(data.attachments?.[0]).toMatchObject({ contentType: 'image/jpeg' });
    });

    it('message_template.created, .updated, .deleted: naive created_at, channel ids, user ids', () => {
      const created = parse(MessageTemplateCreated.type).data;
      expect(created).toMatchObject({
        title: 'Interview Reminder',
        channelIds: ['3d9e8f7a-6b5c-4d3e-8f2a-1b0c9d8e7f6a'],
        accessLevel: 'organization',
        organizationId: '0b6f3c2a-9d41-4e7b-8a15-6c2e4f9d7a31',
        createdById: 1042,
        createdAt: at('2023-11-02T14:02:13Z', '2023-11-02T14:02:13'),
      });
      expect(parse(MessageTemplateUpdated.type).data.updatedById).toBe(1077);
      const deleted = parse(MessageTemplateDeleted.type).data;
      expect(deleted.attachments?.[0]).toMatchObject({ contentType: 'application/pdf' });
      expect(deleted.updatedAt?.date.toISOString()).toBe('2023-12-14T18:20:44.079Z');
    });

    it('sequence.created and .updated: settings and steps', () => {
      const created = parse(SequenceCreated.type).data;
      expect(created).toMatchObject({
        type: 'sequential',
        status: 'active',
        industry: 'staffing',
        steps: [],
      });
      expect(created.settings).toBeInstanceOf(WhippySequenceSettings);
      expect(created.settings?.quietHours).toBeInstanceOf(WhippyQuietHours);
      expect(created.settings).toMatchObject({
        maxMessagesPerDay: 250,
        quietHours: { start: '21:00', end: '08:00', useContactTimezone: true, timezone: 'America/Chicago' },
        businessHours: { days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] },
        skipWeekends: { enabled: true, rescheduleTo: 'next_business_day' },
        linkTracking: { enabled: true },
      });
      const updated = parse(SequenceUpdated.type).data;
      expect(updated.steps).toHaveLength(2);
      expect(updated.steps?.[1]).toBeInstanceOf(WhippyStep);
      expect(updated.steps?.[1]).toMatchObject({
        position: 2,
        analytics: { linkClicks: 7 },
        scheduleOptions: { days: 2 },
      });
    });

    it('sequence_run.created and .updated: contact summary, step contacts and their messages', () => {
      const created = parse(SequenceRunCreated.type).data;
      expect(created).toMatchObject({ lastStepId: null, addedById: 1042 });
      expect(created.contact).toBeInstanceOf(WhippyContact);
      expect(created.contact).toMatchObject({ name: 'Jordan Rivera', blocked: null, notes: null });
      const updated = parse(SequenceRunUpdated.type).data;
      expect(updated.lastStepId).toBe('4b3a2918-7f6e-4d5c-8b4a-392817f6e5d4');
      const [stepContact] = updated.stepContacts ?? [];
      expect(stepContact).toBeInstanceOf(WhippyStepContact);
      expect(stepContact).toMatchObject({ status: 'finished', clickedLink: false, unsubscribed: false });
      expect(stepContact.contactMessages?.[0]).toBeInstanceOf(WhippyMessage);
      expect(stepContact.contactMessages?.[0]).toMatchObject({
        deliveryStatus: 'delivered',
        attachments: [],
      });
    });

    it('step_contact.created and .updated: schedule and run timestamps', () => {
      const created = parse(StepContactCreated.type).data;
      expect(created).toMatchObject({
        status: 'pending',
        addedById: 1042,
        scheduledAt: at('2023-08-24T10:30:00Z', '2023-08-24T10:30:00'),
        runCreatedAt: at('2023-08-24T10:20:11.503Z', '2023-08-24T10:20:11.503978Z'),
        contactMessages: [],
      });
      const updated = parse(StepContactUpdated.type).data;
      expect(updated.runUpdatedAt?.raw).toBe('2023-08-24T10:30:06.845127Z');
      expect(updated.contactMessages?.[0]).toMatchObject({
        conversationId: 'b2c4d6e8-1a3b-4c5d-9e7f-0a1b2c3d4e5f',
      });
    });

    it('step.created and .updated: analytics and schedule options', () => {
      const created = parse(StepCreated.type).data;
      expect(created.analytics).toBeInstanceOf(WhippyStepAnalytics);
      expect(created.scheduleOptions).toBeInstanceOf(WhippyStepScheduleOptions);
      expect(created).toMatchObject({
        position: 1,
        scheduleOptions: { minutes: 10, timezone: 'America/Chicago' },
      });
      expect(parse(StepUpdated.type).data.analytics).toMatchObject({
        responses: 14,
        linkClicks: 3,
        unsubscribes: 1,
        sentMessages: 52,
        slatedMessages: 6,
        failedDeliveries: 2,
      });
    });
  });

  describe('missing and empty fields', () => {
    it("turns '' into null, for strings, numbers, timestamps and objects alike", () => {
      const { data } = parse('conversation.updated', {
        ...fixture('conversation.updated'),
        language: '',
        unread_count: '',
        last_message_date: '',
        assigned_team_id: '',
      });
      expect(data).toMatchObject({
        language: null,
        unreadCount: null,
        lastMessageDate: null,
        assignedTeamId: null,
      });
      expect(parse('lead.new', { ...fixture('lead.new'), contact: '' }).data.contact).toBeNull();
    });

    it('accepts an empty data object, every field null', () => {
      const { data } = parse('message.created', {});
      expect(data).toBeInstanceOf(WhippyMessage);
      expect(data.id).toBeNull();
      expect(data.createdAt).toBeNull();
      expect(data.attachments).toBeNull();
      expect(data.extra).toEqual({});
    });
  });

  describe('unknown fields and values', () => {
    it('keeps fields it does not know in extra, at every depth, and stays valid', () => {
      const data = fixture('contact.updated');
      const [preference] = data.communication_preferences as Record<string, unknown>[];
      const { data: contact } = parse('contact.updated', {
        ...data,
        external_id: 'ats-123',
        custom_fields: { shift: 'day' },
        communication_preferences: [{ ...preference, opt_in_source: 'web_form' }],
      });
      expect(contact.extra).toEqual({ external_id: 'ats-123', custom_fields: { shift: 'day' } });
      expect(contact.communicationPreferences?.[0].extra).toEqual({ opt_in_source: 'web_form' });
      expect(contact.communicationPreferences?.[0].optIn).toBe(true);
    });

    it('keeps a metadata key it does not know, and a JSON __proto__ key as data', () => {
      const { data } = parse(
        'message.created',
        JSON.parse('{"metadata":{"source":"api","__proto__":{"x":1}}}'),
      );
      expect(data.metadata?.extra).toEqual({ source: 'api', ['__proto__']: { x: 1 } });
      expect(Object.getPrototypeOf(data.metadata?.extra)).toBe(Object.prototype);
    });

    it('keeps enumeration values Whippy adds', () => {
      const { data } = parse('message.updated', {
        ...fixture('message.updated'),
        direction: 'INTERNAL',
        type: 'rcs',
        delivery_status: 'carrier_filtered',
      });
      expect(data).toMatchObject({ direction: 'INTERNAL', type: 'rcs', deliveryStatus: 'carrier_filtered' });
    });

    it('serializes data camelCase, timestamps as ISO strings, unknown fields under extra', () => {
      const { data } = parse('conversation.created', {
        ...fixture('conversation.created'),
        priority: 'high',
      });
      expect(JSON.parse(JSON.stringify(data))).toMatchObject({
        contactId: '7f3b2c1e-4a5d-4e8f-9b6a-2c1d0e9f8a7b',
        unreadCount: 1,
        createdAt: '2023-08-24T10:05:18.351Z',
        extra: { priority: 'high' },
      });
    });
  });

  describe('invalid data', () => {
    it('names each field of the wrong type by its Whippy path', () => {
      const errors = errorsOf('conversation.updated', {
        ...fixture('conversation.updated'),
        unread_count: 1.5,
        assigned_user_id: '1042',
        status: 3,
        created_at: '24/08/2023',
      });
      expect(errors.sort()).toEqual([
        'data.assigned_user_id: must be an integer',
        'data.created_at: not a timestamp',
        'data.status: must be a string',
        'data.unread_count: must be an integer',
      ]);
    });

    it('reports direction, blocked, attachments and timestamps of the wrong type', () => {
      expect(
        errorsOf('message.created', { direction: 1, attachments: 'none', updated_at: 1692871518 }),
      ).toEqual([
        'data.direction: must be a string',
        'data.attachments: must be an array of objects',
        'data.updated_at: not a timestamp',
      ]);
      expect(errorsOf('contact.created', { blocked: 'false' })).toEqual(['data.blocked: must be a boolean']);
    });

    it('reports paths into nested objects and arrays', () => {
      const data = fixture('contact.created');
      const [preference] = data.communication_preferences as Record<string, unknown>[];
      expect(
        errorsOf('contact.created', {
          ...data,
          communication_preferences: [
            preference,
            { ...preference, opt_in: 'yes', opt_out_date: 'never' },
            'x',
          ],
        }),
      ).toEqual([
        'data.communication_preferences: must be an array of objects',
        'data.communication_preferences[1].opt_in: must be a boolean',
        'data.communication_preferences[1].opt_out_date: not a timestamp',
        'data.communication_preferences[2]: must be an object',
      ]);
      expect(errorsOf('sequence.updated', { settings: { quiet_hours: { enabled: 'on' } } })).toEqual([
        'data.settings.quiet_hours.enabled: must be a boolean',
      ]);
    });

    it('refuses a lead.new whose parts are not objects', () => {
      expect(errorsOf('lead.new', { contact: 'x', conversation: [], inbound_message: 42 })).toEqual([
        'data.contact: must be an object',
        'data.conversation: must be an object',
        'data.inbound_message: must be an object',
      ]);
    });

    it('refuses data that is not an object', () => {
      for (const data of [null, [], 'text', 5]) {
        expect(errorsOf('message.created', data as unknown as Record<string, unknown>)).toEqual([
          'data: must be an object',
        ]);
      }
    });

    it('caps the list of errors', () => {
      const errors = errorsOf('message_template.created', {
        attachments: Array.from({ length: 200 }, () => 1),
      });
      expect(errors).toHaveLength(51);
      expect(errors.slice(0, 2)).toEqual([
        'data.attachments: must be an array of objects',
        'data.attachments[0]: must be an object',
      ]);
      expect(errors[50]).toBe('… and 151 more');
    });
  });

  describe('unknown types', () => {
    it('returns an UnknownWhippyEvent holding data exactly as received', () => {
      const data = { invoice_id: 'inv_1', amount_cents: 1200 };
      const result = parseWhippyEvent(input('invoice.paid', data));
      expect(result.status).toBe('unknown');
      if (result.status !== 'unknown') return;
      expect(result.event).toBeInstanceOf(UnknownWhippyEvent);
      expect(result.event).toMatchObject({ type: 'invoice.paid', source: 'whippy', receivedAt: RECEIVED_AT });
      expect(result.event.data).toBe(data);
    });
  });

  describe('robustness', () => {
    it.each([
      ['deeply nested arrays', { attachments: JSON.parse('['.repeat(5000) + ']'.repeat(5000)) }],
      ['a huge string', { body: 'x'.repeat(1_000_000) }],
      [
        'objects in scalar fields',
        { id: {}, user_id: [], created_at: { date: 1 }, metadata: { analysis: [1] } },
      ],
      ['odd keys', JSON.parse('{"constructor":1,"__proto__":{"id":1},"hasOwnProperty":2,"extra":3}')],
    ])('never throws: %s', (_, data: Record<string, unknown>) => {
      expect(() => parseWhippyEvent(input('message.created', data))).not.toThrow();
    });

    it('keeps a field named extra among the unknown ones', () => {
      expect(parse('message.created', { extra: 1 }).data.extra).toEqual({ extra: 1 });
    });
  });
});
