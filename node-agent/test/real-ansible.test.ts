import { copyFile, mkdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dispatch, harness, type Harness } from './helpers/agent-harness.ts';
import { waitFor } from './helpers/fake-control-plane.ts';

const REPO_ANSIBLE = fileURLToPath(new URL('../../ansible', import.meta.url));
const SMOKE = fileURLToPath(new URL('./fixtures/ansible-smoke/smoke.yml', import.meta.url));
const SECRET = 'pw-real-ansible-0123456789';

let h: Harness;
beforeEach(async () => {
  h = await harness();
});
afterEach(async () => {
  await h.cleanup();
});

/** The project's ansible tree (config, callback, inventory) with the smoke playbook beside its playbooks. */
async function ansibleDir(): Promise<string> {
  const dir = path.join(h.dir, 'ansible');
  await mkdir(path.join(dir, 'playbooks'), { recursive: true });
  for (const entry of ['ansible.cfg', 'callback_plugins', 'inventory', 'library', 'module_utils', 'action_plugins', 'roles']) {
    await symlink(path.join(REPO_ANSIBLE, entry), path.join(dir, entry));
  }
  await copyFile(SMOKE, path.join(dir, 'playbooks', 'smoke.yml'));
  return dir;
}

describe('with the real ansible-playbook and the project callback', () => {
  it('streams real task steps, keeps Jinja in vars as text, hides no_log output and scrubs the secret from a failure', async () => {
    const agent = await h.start({ ansibleDir: await ansibleDir(), ansiblePlaybookBin: 'ansible-playbook', warmAnsible: true });
    await agent.connected;
    const job = dispatch({ pressluft_site_name: '{{ 7 * 6 }}', smoke_fail: true }, { playbook: 'smoke.yml', secrets: { pressluft_secret_db_password: SECRET } });
    h.cp.send(job);
    const result = await waitFor(() => h.cp.result(job.job_id, 1), 'the result', 60_000);

    const steps = h.cp.events(job.job_id, 1).flatMap((e) => (e.data.kind === 'step' ? [e.data] : []));
    expect(steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      'Say the site name:started', 'Say the site name:ok',
      'Loop over items:started', 'Loop over items (alpha):ok', 'Loop over items (beta):ok', 'Loop over items:ok',
      'Use the secret quietly:started', 'Use the secret quietly:ok',
      'Fail when asked:started', 'Fail when asked:failed',
    ]);
    expect(steps[1].message).toBe('site {{ 7 * 6 }}');
    expect(steps[7].message).toBe('(output hidden: no_log)');
    expect(steps[9].message).toBe('asked to fail near ********');
    expect(result).toMatchObject({ ok: false, exit_code: 2, error_code: 'ANSIBLE_HOST_FAILED', failed_step: 'Fail when asked' });
    expect(result.output_tail).toContain('TASK Fail when asked: failed: asked to fail near ********');
    expect(JSON.stringify(h.cp.messages)).not.toContain(SECRET);
  }, 90_000);
});
