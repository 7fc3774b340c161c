import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runtimeNames } from '../../shared/src/runtime.ts';
import { ANSIBLE_DIR, sh } from './support.ts';

describe('runtime names in Ansible', () => {
  it('derive the same user, database, pool and root as runtimeNames() for every id', async () => {
    const ids = ['00000000-0000-4000-8000-000000000000', 'ffffffff-ffff-4fff-bfff-ffffffffffff',
      '0b4e7c2a-1f3d-4e5a-9b8c-7d6e5f4a3b2c', ...Array.from({ length: 20 }, () => randomUUID())];
    const out = await sh('/usr/bin/python3', [path.join(ANSIBLE_DIR, 'module_utils', 'pressluft_names.py'), ...ids]);
    expect(out.code, out.stderr).toBe(0);
    const fromPython = JSON.parse(out.stdout) as Record<string, unknown>;
    for (const id of ids) expect(fromPython[id], id).toEqual(runtimeNames(id));
  });

  it('keep the Linux user within 32 characters', () => {
    expect(runtimeNames(randomUUID()).user).toHaveLength(28);
  });
});
