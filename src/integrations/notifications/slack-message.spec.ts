import { SLACK_LIMITS, slackMessage } from './slack-message.js';

describe('slackMessage', () => {
  it('quotes the message in mrkdwn, escaping Slack control characters', () => {
    const message = slackMessage({
      title: 'New SMS from Jordan',
      quote: 'a < b & c > d\nsecond line',
      details: ['SMS'],
    });
    expect(message.blocks[1]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '>a &lt; b &amp; c &gt; d\n>second line' },
    });
    expect(message.text).toBe('New SMS from Jordan: a < b & c > d second line');
  });

  it('cuts each text to its Block Kit limit without splitting an escape or a surrogate pair', () => {
    const message = slackMessage({
      title: '😀'.repeat(200),
      quote: '&'.repeat(5000),
      details: Array.from({ length: 12 }, (_, i) => `detail ${i}`),
    });
    const [header, section, context] = message.blocks as {
      text?: { text: string };
      elements?: unknown[];
    }[];
    expect(header.text!.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
    expect(header.text!.text).not.toMatch(/[\uD800-\uDBFF]…$/);
    expect(section.text!.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
    expect(section.text!.text).toMatch(/&amp;…$/);
    expect(context.elements).toHaveLength(SLACK_LIMITS.contextElements);
    expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fallbackText);
  });

  it('leaves out the section when there is nothing to quote', () => {
    expect(slackMessage({ title: 'Hi', quote: '', details: [] }).blocks).toHaveLength(1);
  });
});
