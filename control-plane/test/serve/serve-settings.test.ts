import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.ts';
import { resolveServeSettings } from '../../src/serve/serve-settings.ts';

let dir: string;
let cert: string;
let key: string;
let otherKey: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-serve-settings-'));
  cert = path.join(dir, 'cert.pem');
  key = path.join(dir, 'key.pem');
  otherKey = path.join(dir, 'other-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=cp.test'], { stdio: 'ignore' });
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', otherKey], { stdio: 'ignore' });
});

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('pressluft serve settings', () => {
  it('defaults to 127.0.0.1:8080 on ./.pressluft, plain HTTP, no proxies, the listen URL as public URL', () => {
    const settings = resolveServeSettings({}, {}, dir);
    expect(settings).toMatchObject({ stateDir: path.join(dir, '.pressluft'), host: '127.0.0.1', port: 8080, tls: null, trustedProxies: [], publicUrl: 'http://127.0.0.1:8080', previewDomain: null });
  });

  it('takes flags over the environment over the config file, paths in the file relative to it', () => {
    const file = path.join(dir, 'serve.json');
    writeFileSync(file, JSON.stringify({ state_dir: 'state', port: 9000, host: '0.0.0.0', preview_domain: 'from-file.example', trusted_proxies: ['10.0.0.0/8'], tls_cert: 'cert.pem', tls_key: 'key.pem' }));
    const settings = resolveServeSettings({ config: file, port: '9443' }, { PRESSLUFT_PORT: '9001', PRESSLUFT_PREVIEW_DOMAIN: 'Preview.Example.COM', PRESSLUFT_PUBLIC_URL: 'https://cp.example.com/' }, '/');
    expect(settings.stateDir).toBe(path.join(dir, 'state'));
    expect(settings.port).toBe(9443);
    expect(settings.host).toBe('0.0.0.0');
    expect(settings.previewDomain).toBe('preview.example.com');
    expect(settings.publicUrl).toBe('https://cp.example.com');
    expect(settings.trustedProxies).toEqual(['10.0.0.0/8']);
    expect(settings.tls?.certFile).toBe(cert);
    expect(settings.tls?.cert.toString()).toContain('BEGIN CERTIFICATE');
  });

  it('derives an https public URL with TLS, none on a wildcard host', () => {
    expect(resolveServeSettings({ tlsCert: cert, tlsKey: key, port: '8443' }, {}, dir).publicUrl).toBe('https://127.0.0.1:8443');
    expect(resolveServeSettings({ host: '0.0.0.0' }, {}, dir).publicUrl).toBeNull();
  });

  it('reads trusted proxies from repeated flags and comma lists', () => {
    expect(resolveServeSettings({ trustedProxies: ['10.0.0.1', '192.168.0.0/16,::1'] }, {}, dir).trustedProxies).toEqual(['10.0.0.1', '192.168.0.0/16', '::1']);
    expect(resolveServeSettings({}, { PRESSLUFT_TRUSTED_PROXIES: '10.1.1.1, fd00::/8' }, dir).trustedProxies).toEqual(['10.1.1.1', 'fd00::/8']);
  });

  it('names every bad setting in one error, each with where it came from', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ colour: 'blue', host: 'not a host!' }));
    const list = problems(() => resolveServeSettings(
      { config: file, port: '70000', publicUrl: 'ftp://cp.example.com', trustedProxies: ['10.0.0.0/33', 'proxy.example.com'], tlsCert: cert },
      { PRESSLUFT_PREVIEW_DOMAIN: '-bad-.example', PRESSLUFT_JOB_MAX_ATTEMPTS: 'many' },
      dir,
    ));
    expect(list).toEqual([
      expect.stringMatching(/^colour in .*bad\.json: unknown setting/),
      expect.stringMatching(/^host in .*bad\.json: "not a host!" is neither an IP address nor a host name/),
      '--port must be a port number (0-65535; 0 picks a free one), got "70000"',
      expect.stringMatching(/^--tls-key: a TLS certificate needs its key/),
      '--public-url: must be an http:// or https:// URL, got "ftp://cp.example.com"',
      expect.stringMatching(/^PRESSLUFT_PREVIEW_DOMAIN: "-bad-.example" is not a domain name/),
      expect.stringMatching(/^--trusted-proxy: "10.0.0.0\/33" is not an IP address or CIDR/),
      expect.stringMatching(/^--trusted-proxy: "proxy.example.com" is not an IP address or CIDR/),
      'PRESSLUFT_JOB_MAX_ATTEMPTS must be a positive integer, got "many"',
    ]);
  });

  it('refuses a key that is not the certificate\'s, unreadable files, a missing config file and a file as state dir', () => {
    expect(problems(() => resolveServeSettings({ tlsCert: cert, tlsKey: otherKey }, {}, dir))).toEqual([`--tls-key: ${otherKey} is not the key of the certificate ${cert}`]);
    expect(problems(() => resolveServeSettings({ tlsCert: path.join(dir, 'nope.pem'), tlsKey: key }, {}, dir))).toEqual([`--tls-cert: cannot read ${path.join(dir, 'nope.pem')} (ENOENT)`]);
    expect(problems(() => resolveServeSettings({ tlsCert: key, tlsKey: key }, {}, dir))).toEqual([`--tls-cert: ${key} is not a PEM certificate`]);
    expect(problems(() => resolveServeSettings({ config: 'missing.json' }, {}, dir))).toEqual([`--config: cannot read ${path.join(dir, 'missing.json')} as JSON (ENOENT)`]);
    expect(problems(() => resolveServeSettings({ stateDir: cert }, {}, dir))).toEqual([`--state-dir: ${cert} exists and is not a directory`]);
    expect(problems(() => resolveServeSettings({ publicUrl: 'https://cp.example.com/app?x=1' }, {}, dir))[0]).toMatch(/no path, query or credentials/);
  });
});
