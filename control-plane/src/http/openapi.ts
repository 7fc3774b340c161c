import { z } from 'zod';
import { CreateEnvironmentRequest, CreateNodeRequest, CreateSiteRequest, ListJobsQuery, LoginRequest, RegisterNodeRequest } from '@pressluft/shared';

interface RouteDoc {
  method: 'get' | 'post' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  status?: number;
  public?: boolean;
}

const ROUTES: RouteDoc[] = [
  { method: 'post', path: '/api/login', summary: 'Log in; sets the session_token cookie', body: LoginRequest, public: true },
  { method: 'post', path: '/api/logout', summary: 'Log out' },
  { method: 'get', path: '/api/health', summary: 'Liveness', public: true },
  { method: 'get', path: '/api/metrics', summary: 'jobs_running, jobs_queued, nodes_active, sites_total' },
  { method: 'get', path: '/api/events', summary: 'SSE change stream (events site, environment, job, node)' },
  { method: 'get', path: '/api/sites', summary: 'List sites with their environments' },
  { method: 'post', path: '/api/sites', summary: 'Create a site (enqueues site_create)', body: CreateSiteRequest, status: 202 },
  { method: 'get', path: '/api/sites/{id}', summary: 'A site with its environments' },
  { method: 'delete', path: '/api/sites/{id}', summary: 'Delete a site (enqueues site_delete)', status: 202 },
  { method: 'post', path: '/api/sites/{id}/reset', summary: 'Re-create a failed site', status: 202 },
  { method: 'get', path: '/api/sites/{id}/environments', summary: 'Environments of a site' },
  { method: 'post', path: '/api/sites/{id}/environments', summary: 'Create a staging/clone environment (enqueues env_create)', body: CreateEnvironmentRequest, status: 202 },
  { method: 'get', path: '/api/environments/{id}', summary: 'An environment' },
  { method: 'delete', path: '/api/environments/{id}', summary: 'Delete a non-production environment', status: 202 },
  { method: 'post', path: '/api/environments/{id}/reset', summary: 'Re-create a failed environment', status: 202 },
  { method: 'get', path: '/api/jobs', summary: 'List jobs, newest first', query: ListJobsQuery },
  { method: 'get', path: '/api/jobs/{id}', summary: 'A job' },
  { method: 'get', path: '/api/jobs/{id}/events', summary: 'Job events (JSON, or SSE with Accept: text/event-stream; resume with ?after= or Last-Event-ID)' },
  { method: 'post', path: '/api/jobs/{id}/cancel', summary: 'Cancel a job', status: 202 },
  { method: 'get', path: '/api/nodes', summary: 'List nodes' },
  { method: 'get', path: '/api/nodes/{id}', summary: 'A node' },
  { method: 'post', path: '/api/nodes', summary: 'Create a node and a single-use registration token', body: CreateNodeRequest, status: 201 },
  { method: 'post', path: '/api/nodes/register', summary: 'Exchange a registration token for an agent credential', body: RegisterNodeRequest, public: true },
  { method: 'post', path: '/api/nodes/{id}/provision', summary: 'Provision a node (enqueues node_provision)', status: 202 },
];

function jsonSchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
}

const ErrorSchema = {
  type: 'object', required: ['code', 'message'],
  properties: { code: { type: 'string' }, message: { type: 'string' } },
};

/** The OpenAPI 3.1 document, built from the route list and the shared zod request schemas. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const parameters: unknown[] = [];
    if (route.path.includes('{id}')) parameters.push({ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } });
    if (route.query) {
      const schema = jsonSchema(route.query) as { properties?: Record<string, unknown> };
      for (const [name, s] of Object.entries(schema.properties ?? {})) parameters.push({ name, in: 'query', required: false, schema: s });
    }
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      ...(route.public ? { security: [] } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body) } } } } : {}),
      responses: {
        [String(route.status ?? 200)]: { description: 'OK' },
        default: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Pressluft control plane', version: '0.1.0' },
    components: {
      schemas: { Error: ErrorSchema },
      securitySchemes: { session: { type: 'apiKey', in: 'cookie', name: 'session_token' } },
    },
    security: [{ session: [] }],
    paths,
  };
}
