import 'reflect-metadata';
import { orderByProblems, orderKey } from './ordering.js';
import type { SubscriberDefinition } from './subscriber.js';

const subscriber = (orderBy: SubscriberDefinition['orderBy']): SubscriberDefinition => ({
  id: 'relay.crm',
  origin: "relay target 'crm'",
  events: [],
  orderBy,
  handle: async () => undefined,
});

describe(orderKey.name, () => {
  it('keeps text and turns numbers and booleans into text', () => {
    const warn = () => {
      throw new Error('no warning expected');
    };
    expect([orderKey('c-1', warn), orderKey(42, warn), orderKey(10n, warn), orderKey(false, warn)]).toEqual([
      'c-1',
      '42',
      '10',
      'false',
    ]);
  });

  it('reads null, undefined and an empty string as unordered', () => {
    const warn = () => undefined;
    expect([orderKey(null, warn), orderKey(undefined, warn), orderKey('', warn)]).toEqual([null, null, null]);
  });

  it('never makes "[object Object]": an object or array is unordered, with a warning', () => {
    const warnings: string[] = [];
    expect(orderKey({ id: 'c-1' }, (w) => warnings.push(w))).toBeNull();
    expect(orderKey(['c-1'], (w) => warnings.push(w))).toBeNull();
    expect(warnings).toEqual(['returned an object, not a scalar', 'returned an array, not a scalar']);
  });
});

describe(orderByProblems.name, () => {
  it('accepts a scalar field of every type', () => {
    expect(orderByProblems(subscriber('data.contact_id'), ['message.created', 'message.updated'])).toEqual(
      [],
    );
    expect(orderByProblems(subscriber({ key: 'data.contact.id', onDead: 'hold' }), ['lead.new'])).toEqual([]);
  });

  it('names an object, a missing field and a near miss', () => {
    expect(orderByProblems(subscriber('data.contact'), ['lead.new'])[0]).toMatch(
      /orderBy 'data.contact' is an object in lead.new, not a scalar \(a field inside it: data.contact.id/,
    );
    expect(orderByProblems(subscriber('data.contact_idd'), ['message.created'])).toEqual([
      "subscriber relay.crm (relay target 'crm'): orderBy 'data.contact_idd' is not a field of message.created (did you mean data.contact_id?)",
    ]);
  });

  it('does not check a function key (it cannot be read before events arrive)', () => {
    expect(
      orderByProblems(
        subscriber(() => ({})),
        ['lead.new'],
      ),
    ).toEqual([]);
  });
});
