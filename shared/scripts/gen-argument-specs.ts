/**
 * Writes ansible/roles/<role>/meta/argument_specs.yml from the job-variable contract in
 * shared/src/jobs.ts (JOB_VARS_SCHEMAS, JOB_SECRETS, JOB_ROLE_ENTRY): `pnpm tsx shared/scripts/gen-argument-specs.ts`.
 * shared/test/argument-specs.test.ts fails when the committed files differ from what this renders.
 * Argument specs know types, choices and required-ness only; patterns and lengths stay with the
 * zod schemas, which the control plane checks before a job exists.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { JOB_ROLE_ENTRY, JOB_SECRETS, JOB_TYPES, JOB_VARS_SCHEMAS, JobSecrets } from '../src/jobs.ts';

export const ROLES_DIR = fileURLToPath(new URL('../../ansible/roles/', import.meta.url));

interface JsonSchema {
  type?: string;
  enum?: unknown[];
  items?: JsonSchema;
  description?: string;
}

const ANSIBLE_TYPES: Record<string, string> = { string: 'str', integer: 'int', number: 'float', boolean: 'bool', array: 'list' };

function option(name: string, schema: JsonSchema, secret: boolean): string[] {
  const type = schema.enum ? 'str' : ANSIBLE_TYPES[schema.type ?? ''];
  if (!type) throw new Error(`${name}: no argument_specs type for JSON schema type ${String(schema.type)}`);
  if (!schema.description) throw new Error(`${name}: the zod schema needs a .describe()`);
  const lines = [`      ${name}:`, `        type: ${type}`];
  if (type === 'list') {
    const element = ANSIBLE_TYPES[schema.items?.type ?? ''];
    if (!element) throw new Error(`${name}: no argument_specs type for its elements`);
    lines.push(`        elements: ${element}`);
  }
  lines.push('        required: true');
  if (schema.enum) lines.push(`        choices: [${schema.enum.map((v) => JSON.stringify(v)).join(', ')}]`);
  if (secret) lines.push('        no_log: true');
  lines.push(`        description: ${JSON.stringify(schema.description)}`);
  return lines;
}

function properties(schema: z.ZodType): Record<string, JsonSchema> {
  return (z.toJSONSchema(schema, { io: 'input' }) as { properties: Record<string, JsonSchema> }).properties;
}

/** The argument_specs.yml text of every role, keyed by role name. */
export function renderArgumentSpecs(): Record<string, string> {
  const secretSchemas = properties(JobSecrets);
  const byRole: Record<string, string[]> = {};
  for (const jobType of JOB_TYPES) {
    const { role, entry, description } = JOB_ROLE_ENTRY[jobType];
    const lines = (byRole[role] ??= []);
    lines.push(`  ${entry}:`, `    short_description: ${JSON.stringify(description)}`, '    options:');
    for (const [name, schema] of Object.entries(properties(JOB_VARS_SCHEMAS[jobType]))) lines.push(...option(name, schema, false));
    for (const name of JOB_SECRETS[jobType]) lines.push(...option(name, secretSchemas[name], true));
  }
  return Object.fromEntries(Object.entries(byRole).map(([role, lines]) => [role, [
    '---',
    '# Generated from JOB_VARS_SCHEMAS, JOB_SECRETS and JOB_ROLE_ENTRY in shared/src/jobs.ts by',
    '# shared/scripts/gen-argument-specs.ts; edit those, then re-run it. Checked at role entry, so a missing',
    '# or mistyped variable fails before anything changes on the node.',
    'argument_specs:',
    ...lines,
    '',
  ].join('\n')]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const [role, text] of Object.entries(renderArgumentSpecs())) {
    const file = `${ROLES_DIR}${role}/meta/argument_specs.yml`;
    writeFileSync(file, text);
    console.log(`wrote ${file}`);
  }
}
