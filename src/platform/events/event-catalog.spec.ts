import 'reflect-metadata';
import { EVENT_CLASSES, eventClassFor, eventTypeMatches, typesMatching } from './event-catalog.js';
import { WHIPPY_EVENT_TYPES } from './event-types.js';
import { LeadCreated } from './lead.events.js';
import { MessageCreated, WhippyMessage } from './message.events.js';
import { WhippyEvent } from './whippy-event.js';

describe('EVENT_CLASSES', () => {
  it('has a class for exactly the known Whippy event types', () => {
    expect(Object.keys(EVENT_CLASSES).sort()).toEqual([...WHIPPY_EVENT_TYPES].sort());
  });

  it.each(Object.entries(EVENT_CLASSES))(
    '%s: the class names its own type and builds events',
    (type, eventClass) => {
      expect(eventClass.type).toBe(type);
      expect(eventClass.prototype).toBeInstanceOf(WhippyEvent);
      expect(typeof eventClass.dataClass).toBe('function');
    },
  );

  it('gives classes past-tense names; lead.new is LeadCreated', () => {
    expect(EVENT_CLASSES['lead.new']).toBe(LeadCreated);
    for (const eventClass of Object.values(EVENT_CLASSES)) expect(eventClass.name).toMatch(/ed$/);
  });
});

describe(eventClassFor.name, () => {
  it('finds the class of a known type', () => {
    expect(eventClassFor('message.created')).toBe(MessageCreated);
  });

  it.each(['message.deleted', '', 'constructor', '__proto__', 'toString', 'MESSAGE.CREATED'])(
    'knows nothing of %j',
    (type) => {
      expect(eventClassFor(type)).toBeUndefined();
    },
  );
});

describe(typesMatching.name, () => {
  it("matches every known type with '*'", () => {
    expect(typesMatching('*')).toEqual([...WHIPPY_EVENT_TYPES]);
  });

  it("matches one resource with 'message.*', not message_template.* nor call.analyzed", () => {
    expect(typesMatching('message.*')).toEqual(['message.created', 'message.updated']);
    expect(typesMatching('message_template.*')).toEqual([
      'message_template.created',
      'message_template.updated',
      'message_template.deleted',
    ]);
  });

  it("matches one action across resources with '*.deleted'", () => {
    expect(typesMatching('*.deleted')).toEqual(['message_template.deleted']);
  });

  it('matches an exact name, and nothing for an unknown one', () => {
    expect(typesMatching('lead.new')).toEqual(['lead.new']);
    expect(typesMatching('lead.updated')).toEqual([]);
    expect(typesMatching('message')).toEqual([]);
    expect(typesMatching('mess*')).toEqual([]);
    expect(typesMatching('')).toEqual([]);
  });
});

describe(eventTypeMatches.name, () => {
  it('matches types the catalog does not know yet', () => {
    expect(eventTypeMatches('*', 'invoice.paid')).toBe(true);
    expect(eventTypeMatches('message.*', 'message.deleted')).toBe(true);
    expect(eventTypeMatches('message.*', 'message.reaction.added')).toBe(false);
  });
});

describe(WhippyEvent.name, () => {
  it("takes its type from the class, and the data's class from dataClass", () => {
    const data = new WhippyMessage();
    const event = new MessageCreated({
      id: 'evt_1',
      source: 'whippy',
      requestId: 'req-1',
      receivedAt: new Date(0),
      data,
    });
    expect(event).toMatchObject({
      id: 'evt_1',
      type: 'message.created',
      source: 'whippy',
      requestId: 'req-1',
    });
    expect(event.data).toBe(data);
    expect(MessageCreated.dataClass).toBe(WhippyMessage);
  });
});
