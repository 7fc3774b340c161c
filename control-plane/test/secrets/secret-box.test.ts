import { mkdtempSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox } from '../../src/secrets/secret-box.ts';

describe('secret box', () => {
  it('keeps its key in a 0600 file and round-trips across reopen, never storing plaintext', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-box-'));
    const box = SecretBox.open(dir);
    expect(statSync(path.join(dir, 'secret.key')).mode & 0o777).toBe(0o600);
    const sealed = box.encrypt('hunter2-hunter2-hunter2');
    expect(sealed).not.toContain('hunter2');
    expect(box.encrypt('hunter2-hunter2-hunter2')).not.toBe(sealed);
    expect(SecretBox.open(dir).decrypt(sealed)).toBe('hunter2-hunter2-hunter2');
  });

  it('refuses a tampered ciphertext', () => {
    const box = SecretBox.open(mkdtempSync(path.join(os.tmpdir(), 'pressluft-box-')));
    const [v, iv, tag, body] = box.encrypt('secret value').split('.');
    const flipped = Buffer.from(body, 'base64');
    flipped[0] ^= 1;
    expect(() => box.decrypt([v, iv, tag, flipped.toString('base64')].join('.'))).toThrow();
  });
});
