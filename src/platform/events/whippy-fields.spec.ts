import 'reflect-metadata';
import {
  describeFields,
  IdField,
  ObjectArrayField,
  ObjectField,
  StringField,
  TimestampField,
  WhippyObject,
} from './whippy-fields.js';

class Base extends WhippyObject {
  @IdField() id: string | number | null;
}

class Tag extends WhippyObject {
  @StringField() name: string | null;
  @ObjectField(() => Person) owner: Person | null;
}

class Person extends Base {
  @StringField() firstName: string | null;
  @TimestampField() createdAt: unknown;
  @ObjectArrayField(() => Tag) tags: Tag[] | null;
}

describe(describeFields.name, () => {
  it("lists a class's fields by Whippy name, ancestors first, nested objects expanded once", () => {
    expect(describeFields(Person)).toEqual([
      { name: 'id', property: 'id', type: 'string | integer' },
      { name: 'first_name', property: 'firstName', type: 'string' },
      { name: 'created_at', property: 'createdAt', type: 'timestamp' },
      {
        name: 'tags',
        property: 'tags',
        type: 'object[]',
        class: 'Tag',
        fields: [
          { name: 'name', property: 'name', type: 'string' },
          { name: 'owner', property: 'owner', type: 'object', class: 'Person' },
        ],
      },
    ]);
  });
});
