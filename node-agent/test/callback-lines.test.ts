import { describe, expect, it } from 'vitest';
import { parseCallbackLine } from '../src/callback-lines.ts';

const line = (obj: unknown) => JSON.stringify(obj);

describe('parseCallbackLine', () => {
  it('turns task_start into a started step', () => {
    expect(parseCallbackLine(line({ event: 'task_start', name: 'Install WordPress' }))).toEqual({
      step: { name: 'Install WordPress', status: 'started', duration_ms: null, message: null },
      text: 'TASK Install WordPress',
      failure: null,
    });
  });

  it('turns task_result into a step with status, duration and message, appending the item label', () => {
    const parsed = parseCallbackLine(line({ event: 'task_result', name: 'Create users', status: 'changed', duration_ms: 12.6, message: 'created', item: 'alice' }));
    expect(parsed.step).toEqual({ name: 'Create users (alice)', status: 'changed', duration_ms: 13, message: 'created' });
    expect(parsed.text).toBe('TASK Create users (alice): changed: created');
    expect(parsed.failure).toBeNull();
  });

  it('reports failed and unreachable results as failed steps and remembers them as failures', () => {
    const failed = parseCallbackLine(line({ event: 'task_result', name: 'Reload nginx', status: 'failed', duration_ms: 5, message: 'nginx: [emerg] bad', item: null }));
    expect(failed.step?.status).toBe('failed');
    expect(failed.failure).toEqual({ name: 'Reload nginx', message: 'nginx: [emerg] bad' });
    const unreachable = parseCallbackLine(line({ event: 'task_result', name: 'Gather', status: 'unreachable', duration_ms: 1, message: 'ssh down', item: null }));
    expect(unreachable.step).toMatchObject({ status: 'failed', message: 'unreachable: ssh down' });
    expect(unreachable.failure?.name).toBe('Gather');
  });

  it('keeps skipped and no_log results as they come', () => {
    const parsed = parseCallbackLine(line({ event: 'task_result', name: 'Set password', status: 'skipped', duration_ms: 0, message: '(output hidden: no_log)', item: null }));
    expect(parsed.step).toEqual({ name: 'Set password', status: 'skipped', duration_ms: 0, message: '(output hidden: no_log)' });
  });

  it('clips long names and messages to the protocol limits', () => {
    const parsed = parseCallbackLine(line({ event: 'task_result', name: 'n'.repeat(600), status: 'failed', duration_ms: 1, message: 'm'.repeat(3000), item: null }));
    expect(parsed.step?.name.length).toBe(500);
    expect(parsed.step?.message?.length).toBe(2000);
  });

  it('makes play, playbook and recap lines readable text without steps', () => {
    expect(parseCallbackLine(line({ event: 'playbook_start', playbook: 'site-create.yml' }))).toEqual({ step: null, text: 'PLAYBOOK site-create.yml', failure: null });
    expect(parseCallbackLine(line({ event: 'play_start', name: 'Create' })).text).toBe('PLAY Create');
    expect(parseCallbackLine(line({ event: 'playbook_end', ok: false, stats: { ok: 3, failed: 1 } })).text).toBe('PLAY RECAP ok=3 failed=1');
  });

  it('passes lines that are not callback JSON through as text', () => {
    expect(parseCallbackLine('[WARNING]: something')).toEqual({ step: null, text: '[WARNING]: something', failure: null });
    expect(parseCallbackLine('{"event":"mystery"}')).toEqual({ step: null, text: '{"event":"mystery"}', failure: null });
    expect(parseCallbackLine('{"event":"task_result","name":"x","status":"weird"}').step).toBeNull();
  });
});
