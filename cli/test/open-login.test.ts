import { chmodSync, mkdtempSync, readFileSync, statSync, utimesSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findOpener, writeForwardPage } from '../src/open-login.ts';

const URL = 'http://0f1e2d3c.localhost:8080/?pressluft_login=AbC-_0123456789abcdefghijklmnopqrstuvwxyzAB';

describe('opening a login URL', () => {
  it('finds xdg-open before wslview on PATH, and nothing when neither is there', () => {
    const a = mkdtempSync(path.join(os.tmpdir(), 'opener-a-'));
    const b = mkdtempSync(path.join(os.tmpdir(), 'opener-b-'));
    for (const [dir, name] of [[a, 'wslview'], [b, 'xdg-open']]) {
      writeFileSync(path.join(dir, name), '#!/bin/sh\n');
      chmodSync(path.join(dir, name), 0o755);
    }
    expect(findOpener([a, b].join(path.delimiter))).toBe(path.join(b, 'xdg-open'));
    expect(findOpener(a)).toBe(path.join(a, 'wslview'));
    expect(findOpener(mkdtempSync(path.join(os.tmpdir(), 'opener-none-')))).toBeNull();
  });

  it('hands the opener a private forwarding page, so the token is in no process argument', () => {
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'forward-'));
    const stale = path.join(tmp, 'pressluft-login-old');
    mkdirSync(stale);
    utimesSync(stale, new Date(Date.now() - 600_000), new Date(Date.now() - 600_000));
    const page = writeForwardPage(URL, tmp);
    expect(page).not.toContain('pressluft_login=');
    expect(statSync(page).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(page)).mode & 0o777).toBe(0o700);
    expect(readFileSync(page, 'utf8')).toContain(`<meta http-equiv="refresh" content="0;url=${URL}">`);
    expect(existsSync(stale)).toBe(false);
  });
});
