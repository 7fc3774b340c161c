import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startControlPlane, type ControlPlane } from '../../src/index.ts';

let cp: ControlPlane | undefined;
afterEach(async () => cp?.close());

describe('dashboard serving', () => {
  it('serves files of the dashboard dir and index.html for client-side routes, JSON 404 under /api', async () => {
    const dist = mkdtempSync(path.join(os.tmpdir(), 'pressluft-dist-'));
    mkdirSync(path.join(dist, 'assets'));
    writeFileSync(path.join(dist, 'index.html'), '<!doctype html><title>Pressluft</title>');
    writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
    cp = await startControlPlane({ stateDir: mkdtempSync(path.join(os.tmpdir(), 'pressluft-cp-')), port: 0, dashboardDir: dist, adminEmail: 'a@b.test', adminPassword: 'pw-pw-pw-pw', logger: pino({ level: 'silent' }) });
    const root = await cp.app.inject({ method: 'GET', url: '/' });
    expect(root.body).toContain('<title>Pressluft</title>');
    expect((await cp.app.inject({ method: 'GET', url: '/assets/app.js' })).body).toBe('console.log(1)');
    const deep = await cp.app.inject({ method: 'GET', url: '/sites/123/jobs' });
    expect(deep.statusCode).toBe(200);
    expect(deep.body).toContain('<title>Pressluft</title>');
    const api = await cp.app.inject({ method: 'GET', url: '/api/nothing-here' });
    expect(api.statusCode).toBe(401);
    // The static wildcard route matches these; its public mark must not open the API behind them.
    for (const url of ['/API/sites', '/%61pi/sites', '/%61pi/nothing-here', '/Api/nodes', '/api/../api/sites']) {
      const res = await cp.app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(401);
      expect(res.body).not.toContain('<title>');
    }
  });

  it('returns the generated admin once when no admin is configured', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-cp-'));
    const saved = { e: process.env.PRESSLUFT_ADMIN_EMAIL, p: process.env.PRESSLUFT_ADMIN_PASSWORD };
    delete process.env.PRESSLUFT_ADMIN_EMAIL;
    delete process.env.PRESSLUFT_ADMIN_PASSWORD;
    try {
      cp = await startControlPlane({ stateDir, port: 0, dashboardDir: null, logger: pino({ level: 'silent' }) });
      const admin = cp.generatedAdmin!;
      expect(admin.password.length).toBeGreaterThanOrEqual(16);
      const login = await cp.app.inject({ method: 'POST', url: '/api/login', payload: admin });
      expect(login.statusCode).toBe(200);
      await cp.close();
      cp = await startControlPlane({ stateDir, port: 0, dashboardDir: null, logger: pino({ level: 'silent' }) });
      expect(cp.generatedAdmin).toBeNull();
    } finally {
      if (saved.e !== undefined) process.env.PRESSLUFT_ADMIN_EMAIL = saved.e;
      if (saved.p !== undefined) process.env.PRESSLUFT_ADMIN_PASSWORD = saved.p;
    }
  });
});
