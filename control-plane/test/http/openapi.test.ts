import fastifyCookie from '@fastify/cookie';
import fastifyWebsocket from '@fastify/websocket';
import { Validator } from '@seriousme/openapi-schema-validator';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { pressluftApp } from '../../src/app.ts';
import { build, type Built } from '../support/build.ts';

let built: Built | undefined;
afterEach(async () => {
  await built?.cp.close();
  built = undefined;
});

describe('GET /api/docs', () => {
  it('is a valid OpenAPI 3.1 document with request and response schemas', async () => {
    built = await build();
    const doc = (await built.api('GET', '/api/docs')).json();
    const result = await new Validator().validate(doc);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    const createSite = doc.paths['/api/sites'].post;
    expect(createSite.requestBody.content['application/json'].schema.properties.slug).toBeTruthy();
    expect(createSite.responses['202'].content['application/json'].schema.required).toContain('site_id');
    expect(doc.paths['/api/jobs'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['status', 'site_id', 'limit']);
    expect(doc.paths['/api/login'].post.security).toEqual([]);
  });

  it('needs a session like any other /api route', async () => {
    built = await build();
    const res = await built.cp.app.inject({ method: 'GET', url: '/api/docs' });
    expect(res.statusCode).toBe(401);
  });

  it('lists every registered /api route with its method', async () => {
    built = await build();
    // An independent walk of the router: the same app plugin on a fresh instance.
    const app = Fastify();
    const registered: string[] = [];
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) {
        if (method !== 'HEAD' && route.url.startsWith('/api/')) registered.push(`${method.toLowerCase()} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
      }
    });
    await app.register(fastifyCookie);
    await app.register(fastifyWebsocket);
    await app.register(pressluftApp, { ctx: built.ctx, dashboardDir: null });
    await app.ready();
    const doc = (await built.api('GET', '/api/docs')).json() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(registered).toContain('get /api/me');
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
    await app.close();
  });
});
