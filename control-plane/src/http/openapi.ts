import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import {
  CreateEnvironmentRequest, CreateEnvironmentResponse, CreateNodeRequest, CreateNodeResponse, CreateSiteRequest, CreateSiteResponse,
  EnvironmentDto, ErrorResponse, Id, JobAcceptedResponse, JobDto, JobEventDto, JobEventsQuery, ListJobsQuery, LoginRequest, LoginTokenResponse,
  MagicLoginResponse, MetricsResponse, NodeDto, OkResponse, RegisterNodeRequest, RegisterNodeResponse, SessionUserResponse, SiteDto,
} from '@pressluft/shared';

/** What the document says about one route; request and response shapes are the shared zod schemas. */
interface RouteDoc {
  summary: string;
  body?: z.ZodType;
  query?: z.ZodObject;
  /** Success status -> body schema (null: a stream or upgrade, no JSON body). */
  responses: Record<number, z.ZodType | null>;
}

const accepted = { 202: JobAcceptedResponse };

// Keyed by `METHOD /fastify/:path`. Only registered routes are served, and a test fails when a
// registered /api route has no entry here, so the document cannot drift from the router.
const ROUTE_DOCS: Record<string, RouteDoc> = {
  'POST /api/login': {
    summary: 'Log in; sets the session_token cookie, or answers a bearer token with issue_token',
    body: LoginRequest, responses: { 200: z.union([SessionUserResponse, LoginTokenResponse]) },
  },
  'POST /api/logout': { summary: 'Log out', responses: { 200: OkResponse } },
  'GET /api/me': { summary: 'The logged-in user', responses: { 200: SessionUserResponse } },
  'GET /api/health': { summary: 'Liveness', responses: { 200: OkResponse } },
  'GET /api/metrics': { summary: 'Job, node, site and agent counts', responses: { 200: MetricsResponse } },
  'GET /api/docs': { summary: 'This OpenAPI document', responses: { 200: z.record(z.string(), z.unknown()) } },
  'GET /api/events': { summary: 'SSE change stream (events site, environment, job, node)', responses: { 200: null } },
  'GET /api/sites': { summary: 'List sites with their environments', responses: { 200: z.array(SiteDto) } },
  'POST /api/sites': { summary: 'Create a site (enqueues site_create)', body: CreateSiteRequest, responses: { 202: CreateSiteResponse } },
  'GET /api/sites/:id': { summary: 'A site with its environments', responses: { 200: SiteDto } },
  'DELETE /api/sites/:id': { summary: 'Delete a site (enqueues site_delete)', responses: accepted },
  'POST /api/sites/:id/reset': { summary: 'Re-create a failed site', responses: accepted },
  'GET /api/sites/:id/environments': { summary: 'Environments of a site', responses: { 200: z.array(EnvironmentDto) } },
  'POST /api/sites/:id/environments': {
    summary: 'Create a staging/clone environment (enqueues env_create)', body: CreateEnvironmentRequest, responses: { 202: CreateEnvironmentResponse },
  },
  'GET /api/environments/:id': { summary: 'An environment', responses: { 200: EnvironmentDto } },
  'DELETE /api/environments/:id': { summary: 'Delete a non-production environment', responses: accepted },
  'POST /api/environments/:id/reset': { summary: 'Re-create a failed environment', responses: accepted },
  'POST /api/environments/:id/magic-login': { summary: 'A one-time WordPress admin login link', responses: { 200: MagicLoginResponse } },
  'GET /api/jobs': { summary: 'List jobs, newest first', query: ListJobsQuery, responses: { 200: z.array(JobDto) } },
  'GET /api/jobs/:id': { summary: 'A job', responses: { 200: JobDto } },
  'GET /api/jobs/:id/events': {
    summary: 'Job events (JSON, or SSE with Accept: text/event-stream; resume with ?after= or Last-Event-ID)',
    query: JobEventsQuery, responses: { 200: z.array(JobEventDto) },
  },
  'POST /api/jobs/:id/cancel': { summary: 'Cancel a job', responses: accepted },
  'GET /api/nodes': { summary: 'List nodes', responses: { 200: z.array(NodeDto) } },
  'GET /api/nodes/:id': { summary: 'A node', responses: { 200: NodeDto } },
  'POST /api/nodes': { summary: 'Create a node and a single-use registration token', body: CreateNodeRequest, responses: { 201: CreateNodeResponse } },
  'POST /api/nodes/register': {
    summary: 'Exchange a registration token for an agent credential', body: RegisterNodeRequest, responses: { 200: RegisterNodeResponse },
  },
  'POST /api/nodes/:id/provision': { summary: 'Provision a node (enqueues node_provision)', responses: accepted },
  'GET /api/agent/ws': { summary: 'Agent WebSocket (agent credential in the hello message)', responses: { 101: null } },
};

export interface RegisteredRoute {
  method: string;
  url: string;
  public: boolean;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any', target: 'draft-2020-12' });
  return rest;
}

const ERROR_BODY = { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

function operation(route: RegisteredRoute, doc: RouteDoc): Record<string, unknown> {
  const parameters: unknown[] = [];
  for (const name of route.url.match(/(?<=:)\w+/g) ?? []) {
    parameters.push({ name, in: 'path', required: true, schema: jsonSchema(Id, 'input') });
  }
  if (doc.query) {
    const schema = jsonSchema(doc.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(schema.properties ?? {})) {
      parameters.push({ name, in: 'query', required: schema.required?.includes(name) ?? false, schema: s });
    }
  }
  const responses: Record<string, unknown> = { default: ERROR_BODY };
  for (const [status, schema] of Object.entries(doc.responses)) {
    responses[status] = schema
      ? { description: 'OK', content: { 'application/json': { schema: jsonSchema(schema, 'output') } } }
      : { description: 'A stream, not a JSON body' };
  }
  return {
    summary: doc.summary,
    ...(route.public ? { security: [] } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(doc.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(doc.body, 'input') } } } } : {}),
    responses,
  };
}

export const routeKey = (method: string, url: string): string => `${method} ${url}`;

/** The OpenAPI 3.1 document of the given registered routes (HEAD and non-/api routes are left out). */
export function openApiDocument(routes: RegisteredRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const doc = ROUTE_DOCS[routeKey(route.method, route.url)];
    if (!doc || !route.url.startsWith('/api/')) continue;
    const path = route.url.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route, doc);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Pressluft control plane', version: '0.1.0' },
    components: {
      schemas: { Error: jsonSchema(ErrorResponse, 'output') },
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'session_token' },
        bearer: { type: 'http', scheme: 'bearer' },
      },
    },
    security: [{ session: [] }, { bearer: [] }],
    paths,
  };
}

/** Whether a registered route has an entry in the document (for the drift test). */
export const isDocumented = (method: string, url: string): boolean => routeKey(method, url) in ROUTE_DOCS;

/**
 * Collects every route registered after this call and serves their document at GET /api/docs
 * (authenticated like any other /api route). Call before any other route is registered.
 */
export function registerOpenApi(app: FastifyInstance): void {
  const routes: RegisteredRoute[] = [];
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method !== 'HEAD') routes.push({ method, url: route.url, public: route.config?.public === true });
    }
  });
  let doc: Record<string, unknown> | undefined;
  app.get('/api/docs', async () => (doc ??= openApiDocument(routes)));
}
