import { phoneVariants, samePhone } from './candidate-finder.js';

describe('phoneVariants', () => {
  it('spells a North American number the ways recruiters type it', () => {
    expect(phoneVariants('+15555550123')).toEqual(
      expect.arrayContaining([
        '+15555550123',
        '15555550123',
        '5555550123',
        '555-555-0123',
        '(555) 555-0123',
        '555.555.0123',
        '555 555 0123',
      ]),
    );
  });

  it('keeps another country to its international forms', () => {
    expect(phoneVariants('+447700900123')).toEqual(['+447700900123', '447700900123']);
  });

  it('leaves a short code as it is', () => {
    expect(phoneVariants('12345')).toEqual(['12345']);
  });
});

describe('samePhone', () => {
  it.each([
    ['(555) 555-0123', '+15555550123', true],
    ['555.555.0123', '+15555550123', true],
    ['+1 555 555 0123', '15555550123', true],
    ['(555) 555-0199', '+15555550123', false],
    ['555-0123', '+15555550123', false],
    [null, '+15555550123', false],
  ])('%p and %p: %p', (a, b, same) => {
    expect(samePhone(a, b)).toBe(same);
  });
});
