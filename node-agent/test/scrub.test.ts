import { describe, expect, it } from 'vitest';
import { OutputTail } from '../src/output-tail.ts';
import { createScrubber, scrubDeep, SCRUBBED } from '../src/scrub.ts';

describe('secret scrubbing', () => {
  const secret = 'S3cret-"pass"\\word-123456';
  const scrub = createScrubber([secret, undefined, '']);

  it('replaces every occurrence of a secret, also in its JSON-escaped form', () => {
    expect(scrub(`a ${secret} b ${secret}`)).toBe(`a ${SCRUBBED} b ${SCRUBBED}`);
    expect(scrub(JSON.stringify({ msg: `pw=${secret}` }))).toBe(JSON.stringify({ msg: `pw=${SCRUBBED}` }));
    expect(scrub('nothing here')).toBe('nothing here');
  });

  it('replaces the longer secret first when one contains another', () => {
    const both = createScrubber(['abcdefghijklmnop', 'abcdefghijklmnopqrstuvwxyz']);
    expect(both('x abcdefghijklmnopqrstuvwxyz y')).toBe(`x ${SCRUBBED} y`);
  });

  it('scrubs every string of a nested value and leaves other values alone', () => {
    expect(scrubDeep({ kind: 'step', name: `Set ${secret}`, list: [secret, 3, null], ok: true }, scrub)).toEqual({ kind: 'step', name: `Set ${SCRUBBED}`, list: [SCRUBBED, 3, null], ok: true });
  });
});

describe('OutputTail', () => {
  it('keeps the last characters within the limit and scrubs them', () => {
    const tail = new OutputTail(100);
    for (let i = 0; i < 50; i++) tail.line(`line ${i} secret-value-0123456789`);
    const value = tail.value(createScrubber(['secret-value-0123456789']));
    expect(value!.length).toBeLessThanOrEqual(100);
    expect(value).toContain('line 49 ********');
    expect(value).not.toContain('secret-value');
  });

  it('is null when nothing was printed', () => {
    expect(new OutputTail().value()).toBeNull();
  });
});
