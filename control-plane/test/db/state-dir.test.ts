import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { build, type Built } from '../support/build.ts';

let built: Built | undefined;
afterEach(async () => {
  await built?.close();
  built = undefined;
});

const mode = (file: string) => statSync(file).mode & 0o777;
const STATE_FILES = ['pressluft.db', 'pressluft.db-wal', 'pressluft.db-shm', 'secret.key'];

describe('state directory permissions', () => {
  it('creates the state dir 0700 and the database, its -wal/-shm and secret.key 0600 under a 022 umask', async () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), 'pressluft-state-'));
    const stateDir = path.join(parent, 'nested', 'state');
    const old = process.umask(0o022);
    try {
      built = await build({ stateDir });
    } finally {
      process.umask(old);
    }
    expect(mode(stateDir)).toBe(0o700);
    for (const file of STATE_FILES) expect(mode(path.join(stateDir, file)), file).toBe(0o600);
  });

  it('tightens a state dir an older install left 0755 with 0644 files, without following a symlink in it', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-state-'));
    built = await build({ stateDir });
    await built.close();
    built = undefined;
    chmodSync(stateDir, 0o755);
    // A clean close removes -wal/-shm; SQLite re-creates them with the (tightened) database's mode.
    for (const file of STATE_FILES) if (existsSync(path.join(stateDir, file))) chmodSync(path.join(stateDir, file), 0o644);
    writeFileSync(path.join(stateDir, 'dev-admin.json'), '{}', { mode: 0o644 });
    const outside = path.join(mkdtempSync(path.join(os.tmpdir(), 'pressluft-outside-')), 'target');
    writeFileSync(outside, 'x', { mode: 0o644 });
    symlinkSync(outside, path.join(stateDir, 'link'));

    built = await build({ stateDir });
    expect(mode(stateDir)).toBe(0o700);
    for (const file of [...STATE_FILES, 'dev-admin.json']) expect(mode(path.join(stateDir, file)), file).toBe(0o600);
    expect(mode(outside)).toBe(0o644);
  });
});

describe('secret.key creation', () => {
  const secretBox = fileURLToPath(new URL('../../src/secrets/secret-box.ts', import.meta.url));
  const tsx = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));

  it('gives every one of 6 processes racing on a fresh dir the same complete key, leaving no temp file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-key-'));
    const script = `import { SecretBox } from ${JSON.stringify(secretBox)};
      const box = SecretBox.open(${JSON.stringify(dir)});
      process.stdout.write(box.encrypt('probe'));`;
    const run = promisify(execFile);
    const sealed = await Promise.all(Array.from({ length: 6 }, () => run(tsx, ['--eval', script]).then((r) => r.stdout)));
    const { SecretBox } = await import('../../src/secrets/secret-box.ts');
    const box = SecretBox.open(dir);
    // Each process encrypted with the key it got; the key on disk decrypts all of them.
    for (const s of sealed) expect(box.decrypt(s)).toBe('probe');
    expect(readdirSync(dir)).toEqual(['secret.key']);
    expect(Buffer.from(readFileSync(path.join(dir, 'secret.key'), 'utf8'), 'base64')).toHaveLength(32);
    expect(mode(path.join(dir, 'secret.key'))).toBe(0o600);
  });

  it('never replaces an existing key', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-key-'));
    const { SecretBox } = await import('../../src/secrets/secret-box.ts');
    const sealed = SecretBox.open(dir).encrypt('kept');
    const before = readFileSync(path.join(dir, 'secret.key'), 'utf8');
    expect(SecretBox.open(dir).decrypt(sealed)).toBe('kept');
    expect(readFileSync(path.join(dir, 'secret.key'), 'utf8')).toBe(before);
    expect(existsSync(path.join(dir, 'secret.key'))).toBe(true);
  });
});
