import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import type { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '@pressluft/shared';

/** An expected API failure: becomes `{ code, message }` with the registry's HTTP status. */
export class ApiFailure extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

/** Parses input with a shared zod schema; the 400 names the first offending field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  if (input === undefined || input === null) input = what === 'body' ? undefined : {};
  // `?status=&limit=` from a form means "no filter", not an invalid value.
  if (what === 'query' && typeof input === 'object' && input !== null) {
    input = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== ''));
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  if (issue.code === 'unrecognized_keys') {
    throw new ApiFailure('bad_request', `${issue.keys.join(', ')}: unknown field`);
  }
  const field = issue.path.length > 0 ? issue.path.join('.') : what;
  const message = issue.code === 'invalid_type' && issue.path.length === 0 ? 'must be a JSON object' : issue.message;
  throw new ApiFailure('bad_request', `${field}: ${message}`);
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_JSON_BODY: 'bad_request',
};

/** The one error handler: expected failures as data, everything else a 500 without internals. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ApiFailure) {
      return reply.status(ERROR_CODES[error.code].http).send({ code: error.code, message: error.message });
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      const message = mapped === 'bad_request' ? `body: ${error.message}` : error.message;
      return reply.status(ERROR_CODES[mapped].http).send({ code: mapped, message });
    }
    if (error instanceof SyntaxError || (error.statusCode && error.statusCode < 500)) {
      return reply.status(400).send({ code: 'bad_request', message: `body: ${error.message}` });
    }
    request.log.error({ err: error }, 'request failed');
    return reply.status(500).send({ code: 'internal', message: 'Internal error; see the control plane log.' });
  });

}

/**
 * An unmatched path as the router would read it (absolute-form host dropped, percent-decoded,
 * case-folded, slashes collapsed); it only picks the dashboard page over a JSON error.
 */
function looksLikeApi(url: string): boolean {
  let path = url.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('?')[0];
  try {
    path = decodeURIComponent(path);
  } catch {
    // Malformed escapes: judge the raw text.
  }
  path = path.toLowerCase().replace(/\/+/g, '/');
  return path === '/api' || path.startsWith('/api/');
}

/**
 * Unmatched requests: the dashboard's index.html (client-side routes) or a hint page for a GET
 * outside /api; otherwise 401 without a session (an unknown path tells nothing) and a JSON 404 with one.
 */
export function registerNotFound(app: FastifyInstance, dashboardDir: string | null): void {
  app.setNotFoundHandler(async (request, reply) => {
    const page = (request.method === 'GET' || request.method === 'HEAD') && !looksLikeApi(request.url);
    if (!page) {
      if (!request.user) return reply.status(401).send({ code: 'unauthorized', message: 'Log in first.' });
      return reply.status(404).send({ code: 'not_found', message: `${request.method} ${request.url.split('?')[0]} does not exist` });
    }
    if (dashboardDir) return reply.type('text/html; charset=utf-8').send(await readFile(path.join(dashboardDir, 'index.html')));
    return reply.type('text/plain; charset=utf-8').send(
      'Pressluft control plane. The dashboard is not built: run `pnpm --filter @pressluft/dashboard build` (pressluft dev does it), or use the API under /api.\n',
    );
  });
}
