import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN, runtimeNames, type RuntimeNames } from '../src/runtime.ts';

const PYTHON_NAMES = fileURLToPath(new URL('../../ansible/module_utils/pressluft_names.py', import.meta.url));
const VALID = ['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff', '0b4e7c2a-1f3d-4e5a-9b8c-7d6e5f4a3b2c'];
const INVALID = [
  '', 'x', `${VALID[0]}\n`, `\n${VALID[0]}`, ` ${VALID[0]}`, `${VALID[0]} `, VALID[2].toUpperCase(), VALID[2].replaceAll('-', ''),
  `${VALID[2]}0`, VALID[2].slice(1), `${VALID[2].slice(0, -1)}g`, VALID[2].replace('-', '_'), `../${VALID[2]}`, `${VALID[2]}/`,
  '0b4e7c2a-1f3d-4e5a-9b8c-7d6e5f4a3b2\u0663', '0b4e7c2a/1f3d-4e5a-9b8c-7d6e5f4a3b2c',
];

function fromPython(ids: string[]): { names: RuntimeNames | null; pool_id: string | null }[] {
  const out = spawnSync('/usr/bin/python3', [PYTHON_NAMES], { input: JSON.stringify(ids), encoding: 'utf8' });
  expect(out.status, out.stderr).toBe(0);
  return JSON.parse(out.stdout) as { names: RuntimeNames | null; pool_id: string | null }[];
}

describe('runtime names in TypeScript and in Ansible (pressluft_names.py)', () => {
  it('agree on which strings are environment ids and derive the same names from them', () => {
    const ids = [...VALID, ...Array.from({ length: 200 }, () => randomUUID()), ...INVALID];
    const python = fromPython(ids);
    ids.forEach((id, i) => {
      const ts = ID_PATTERN.test(id) ? runtimeNames(id) : null;
      expect(python[i].names, JSON.stringify(id)).toEqual(ts);
      // The pool name reads back to the id, which the node uses to find its own pools.
      expect(python[i].pool_id, JSON.stringify(id)).toBe(ts ? id : null);
    });
    expect(python.filter((p) => p.names === null)).toHaveLength(INVALID.length);
  });

  it('keep the Linux user within 32 characters', () => {
    expect(runtimeNames(randomUUID()).user).toHaveLength(28);
  });
});
