import { z } from 'zod';
import { Id } from '@pressluft/shared';
import { parseInput } from './api-error.ts';

const IdParams = z.object({ id: Id });

/** The `:id` route parameter, which must be a UUID (400 `id: must be an id` otherwise). */
export function idParam(params: unknown): string {
  return parseInput(IdParams, params, 'params').id;
}
