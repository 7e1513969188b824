import { maskText } from './log-redaction.js';

describe('maskText', () => {
  it.each([
    ['call +15555550123 now', 'call [phone] now'],
    ['from +1 555 555 0123.', 'from [phone].'],
    ['office (555) 555-0123', 'office [phone]'],
    ['dial 555.555.0123', 'dial [phone]'],
    ['write to jane.doe+jobs@example.co.uk', 'write to [email]'],
    ['"msg":"x <jane@example.com>"', '"msg":"x <[email]>"'],
  ])('masks %s', (text, masked) => expect(maskText(text)).toBe(masked));

  it.each([
    'event 7f3b2c1e-4a5d-4e8f-9b6a-2c1d0e9f8a7b',
    'at 2026-11-28T11:10:04.123Z',
    '"time":1795864447883',
    'delivery 01M8GXSJV3NPN969AZ8K0SS862 attempt 3 of 10',
    'c++ and a+b',
  ])('leaves %s alone', (text) => expect(maskText(text)).toBe(text));

  it('masks after a JSON escape and keeps the line valid JSON', () => {
    const line = JSON.stringify({ msg: 'failed:\njane@example.com\n+15555550123\ttabbed' });
    const masked = maskText(line);
    expect(JSON.parse(masked)).toEqual({ msg: 'failed:\n[email]\n[phone]\ttabbed' });
  });
});
