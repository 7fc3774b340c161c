import { expect } from 'vitest';
import { describeRun, type PlaybookRun } from './support.ts';

/** site-create's one step: runtime, database, WordPress and the check that the site answers. */
export const CREATE_STEP = 'Create the environment and install WordPress';

/** The run succeeded and printed nothing on stdout but the callback's JSON lines. */
export function expectSuccess(run: PlaybookRun): void {
  expect(run.exitCode, describeRun(run)).toBe(0);
  expect(run.strayLines, 'stdout holds only JSON lines').toEqual([]);
  expect(run.events.at(-1)).toMatchObject({ event: 'playbook_end', ok: true });
}
