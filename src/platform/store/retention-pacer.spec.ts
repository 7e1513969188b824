import { MIN_BATCH, MIN_REST_MS, REST_FACTOR, RetentionPacer, WRITE_BUDGET_MS } from './retention-pacer.js';

describe('RetentionPacer', () => {
  it('starts small and grows to the configured maximum while writes are quick', () => {
    const pacer = new RetentionPacer(500);
    expect(pacer.size).toBe(50);
    const sizes = [];
    for (let i = 0; i < 5; i++) {
      pacer.took(1);
      sizes.push(pacer.size);
    }
    expect(sizes).toEqual([100, 200, 400, 500, 500]);
  });

  it('halves the batch when a write holds the writer past its budget, down to its floor', () => {
    const pacer = new RetentionPacer(500);
    pacer.took(WRITE_BUDGET_MS * 3);
    expect(pacer.size).toBe(25);
    for (let i = 0; i < 10; i++) pacer.took(WRITE_BUDGET_MS * 3);
    expect(pacer.size).toBe(MIN_BATCH);
    const tiny = new RetentionPacer(4);
    tiny.took(WRITE_BUDGET_MS * 3);
    expect(tiny.size).toBe(4); // a batchSize under the floor is kept as it is
  });

  it('keeps the size while a write takes between half its budget and the budget', () => {
    const pacer = new RetentionPacer(500);
    pacer.took(WRITE_BUDGET_MS * 0.75);
    expect(pacer.size).toBe(50);
  });

  it('never starts above a smaller configured maximum', () => {
    expect(new RetentionPacer(10).size).toBe(10);
  });

  it('rests in proportion to the write, never less than the minimum', () => {
    const pacer = new RetentionPacer(500);
    expect(pacer.took(1)).toBe(MIN_REST_MS);
    expect(pacer.took(40)).toBe(40 * REST_FACTOR);
  });
});
