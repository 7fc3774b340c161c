import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { JOB_ROLE_ENTRY, JOB_TYPES, PLAYBOOKS } from '../src/jobs.ts';
import { ROLES_DIR, renderArgumentSpecs } from '../scripts/gen-argument-specs.ts';

const ANSIBLE_DIR = new URL('../../ansible/', import.meta.url);

describe('the roles\' argument specs', () => {
  it('are the ones generated from the zod job schemas (run `pnpm tsx shared/scripts/gen-argument-specs.ts`)', () => {
    const rendered = renderArgumentSpecs();
    expect(Object.keys(rendered).sort()).toEqual(['pressluft_env', 'pressluft_node']);
    for (const [role, text] of Object.entries(rendered)) {
      expect(readFileSync(`${ROLES_DIR}${role}/meta/argument_specs.yml`, 'utf8'), role).toBe(text);
    }
  });

  it('name the entry point each job type\'s playbook runs', () => {
    for (const jobType of JOB_TYPES) {
      const playbook = readFileSync(new URL(`playbooks/${PLAYBOOKS[jobType]}`, ANSIBLE_DIR), 'utf8');
      const { role, entry } = JOB_ROLE_ENTRY[jobType];
      // Either the role itself (entry "main") or an import_role with tasks_from: <entry>.
      const runsRole = new RegExp(`(role|name): ${role}\\b`).test(playbook);
      const tasksFrom = /tasks_from: (\w+)/.exec(playbook)?.[1] ?? 'main';
      expect({ jobType, runsRole, tasksFrom }).toEqual({ jobType, runsRole: true, tasksFrom: entry });
    }
  });
});
