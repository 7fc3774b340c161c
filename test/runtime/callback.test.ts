import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ANSIBLE_DIR, REPO, type CallbackEvent } from './support.ts';

// A playbook that changes nothing on the node, so no runtime lock is needed.
function runFixture(secret: string): Promise<{ code: number | null; stdout: string; events: CallbackEvent[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn('ansible-playbook', ['-c', 'local', '-i', 'ansible/inventory/local.yml',
      path.join(REPO, 'test/runtime/playbooks/callback-format.yml'), '-e', JSON.stringify({ callback_secret: secret })], {
      cwd: REPO, env: { ...process.env, ANSIBLE_CONFIG: path.join(ANSIBLE_DIR, 'ansible.cfg') }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => { stdout += c; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, events: stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as CallbackEvent) }));
  });
}

describe('the pressluft_jsonl callback', () => {
  it('prints one JSON object per line for the playbook, plays, tasks and results', async () => {
    const secret = `callback-secret-${Date.now()}`;
    const { code, stdout, events } = await runFixture(secret);
    expect(code).toBe(2);
    expect(stdout).not.toContain(secret);
    expect(events[0]).toEqual({ event: 'playbook_start', playbook: 'callback-format.yml' });
    expect(events[1]).toEqual({ event: 'play_start', name: 'Exercise the callback' });
    const byName = (name: string) => events.filter((e) => e.event === 'task_result' && e.name === name);
    expect(events).toContainEqual({ event: 'task_start', name: 'Say hello' });
    expect(byName('Say hello')).toEqual([expect.objectContaining({ status: 'ok', message: 'hello', item: null, duration_ms: expect.any(Number) })]);
    expect(byName('Loop over items').map((e) => e.item)).toEqual(['one', 'two', null]);
    expect(byName('Handle a secret')).toEqual([expect.objectContaining({ status: 'changed', message: '(output hidden: no_log)' })]);
    const ignored = byName('Fail but carry on')[0];
    expect(ignored.status).toBe('ok');
    expect(ignored.message).toMatch(/^ignored: /);
    expect(ignored.message).toContain('to-stderr');
    expect(byName('Skip this')).toEqual([expect.objectContaining({ status: 'skipped' })]);
    // The hidden failure and its rescue's explanation read as one step.
    expect(events.filter((e) => e.event === 'task_start' && e.name === 'Fail for real')).toHaveLength(1);
    expect(byName('Fail for real')).toEqual([expect.objectContaining({ status: 'failed', message: 'the reason' })]);
    // Ansible's own counters: an ignored failure counts as changed (command), not as failed.
    expect(events.at(-1)).toEqual({ event: 'playbook_end', ok: false, stats: { ok: 4, changed: 2, failed: 1, unreachable: 0, skipped: 1 } });
  });
});
