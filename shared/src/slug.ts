import { z } from 'zod';
import { SLUG_PATTERN } from './slug-text.ts';

export { SLUG_PATTERN, slugify } from './slug-text.ts';

export const Slug = z.string().regex(SLUG_PATTERN, 'must be 1–40 lowercase letters, digits or single dashes');
