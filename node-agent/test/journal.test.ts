import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentMessage, JournaledData } from '@pressluft/shared';
import { Journal } from '../src/journal.ts';
import { Outbox } from '../src/outbox.ts';

const step = (name: string): JournaledData => ({ kind: 'step', name, status: 'ok', duration_ms: 1, message: null, at: new Date().toISOString() });
const result = (): JournaledData => ({ kind: 'result', ok: true, exit_code: 0, error_code: null, error_message: null, failed_step: null, output_tail: null, duration_ms: 5, at: new Date().toISOString() });
const seqs = (messages: AgentMessage[]) => messages.map((m) => (m.type === 'job_event' ? m.seq : -1));

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pressluft-journal-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('Journal', () => {
  it('numbers events from 1, writes them 0600 and reloads the unacknowledged ones in order', async () => {
    const journal = await Journal.create(dir, 'job-1', 2);
    await Promise.all([journal.append(step('a')), journal.append(step('b')), journal.append(step('c'))]);
    await journal.ack(1);
    expect((await stat(path.join(dir, 'job-1.2.jsonl'))).mode & 0o777).toBe(0o600);
    await journal.close();

    const [loaded] = await Journal.loadAll(dir);
    expect(loaded).toMatchObject({ jobId: 'job-1', attempt: 2, lastSeq: 3, ackedSeq: 1, hasResult: false });
    expect(loaded.unacked().map((e) => [e.seq, e.data.kind === 'step' && e.data.name])).toEqual([[2, 'b'], [3, 'c']]);
  });

  it('ignores a torn last line left by a crash', async () => {
    const journal = await Journal.create(dir, 'job-1', 1);
    await journal.append(step('a'));
    await journal.close();
    await appendFile(path.join(dir, 'job-1.1.jsonl'), '{"type":"job_event","job_');
    const [loaded] = await Journal.loadAll(dir);
    expect(loaded.lastSeq).toBe(1);
    expect(loaded.unacked()).toHaveLength(1);
  });

  it('refuses events after the result', async () => {
    const journal = await Journal.create(dir, 'job-1', 1);
    await journal.append(result());
    expect(() => journal.append(step('late'))).toThrow(/already has its result/);
    expect(journal.settled).toBe(false);
    await journal.ack(1);
    expect(journal.settled).toBe(true);
  });

  it('refuses job ids that are not safe file names', async () => {
    await expect(Journal.create(dir, '../escape', 1)).rejects.toThrow(/unsafe job id/);
  });
});

describe('Outbox', () => {
  const log = pino({ level: 'silent' });

  it('sends nothing while detached, replays unacknowledged events in order after attach, and streams new ones', async () => {
    const outbox = new Outbox(dir, log);
    const journal = await outbox.open('job-1', 1);
    await outbox.emit(journal, step('a'));
    await outbox.emit(journal, step('b'));
    const sent: AgentMessage[] = [];
    outbox.attach((m) => (sent.push(m), true));
    expect(seqs(sent)).toEqual([1, 2]);
    await outbox.emit(journal, step('c'));
    expect(seqs(sent)).toEqual([1, 2, 3]);
  });

  it('resends after a reconnect only what was not acknowledged, without duplicates on one connection', async () => {
    const outbox = new Outbox(dir, log);
    const journal = await outbox.open('job-1', 1);
    const first: AgentMessage[] = [];
    outbox.attach((m) => (first.push(m), true));
    for (const name of ['a', 'b', 'c', 'd']) await outbox.emit(journal, step(name));
    await outbox.ack('job-1', 1, 2);
    outbox.detach();
    await outbox.emit(journal, step('e'));
    const second: AgentMessage[] = [];
    outbox.attach((m) => (second.push(m), true));
    outbox.flush(journal);
    expect(seqs(first)).toEqual([1, 2, 3, 4]);
    expect(seqs(second)).toEqual([3, 4, 5]);
  });

  it('deletes a journal once its result is acknowledged', async () => {
    const outbox = new Outbox(dir, log);
    const journal = await outbox.open('job-1', 1);
    outbox.attach(() => true);
    await outbox.emit(journal, step('a'));
    await outbox.emit(journal, result());
    await outbox.ack('job-1', 1, 1);
    expect(await readdir(dir)).toContain('job-1.1.jsonl');
    await outbox.ack('job-1', 1, 2);
    expect(outbox.get('job-1', 1)).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('replays after a restart what the previous process had not delivered, ack file included', async () => {
    const before = new Outbox(dir, log);
    const journal = await before.open('job-1', 1);
    for (const name of ['a', 'b']) await before.emit(journal, step(name));
    await before.emit(journal, result());
    await before.ack('job-1', 1, 1);
    await before.close();
    expect((await readFile(path.join(dir, 'job-1.1.ack'), 'utf8')).trim()).toBe('1');

    const after = new Outbox(dir, log);
    const [loaded] = await after.load();
    expect(loaded.hasResult).toBe(true);
    const sent: AgentMessage[] = [];
    after.attach((m) => (sent.push(m), true));
    expect(seqs(sent)).toEqual([2, 3]);
  });

  it('stops sending when the socket refuses and continues from there on the next flush', async () => {
    const outbox = new Outbox(dir, log);
    const journal = await outbox.open('job-1', 1);
    for (const name of ['a', 'b', 'c']) await outbox.emit(journal, step(name));
    const sent: AgentMessage[] = [];
    let open = true;
    outbox.attach((m) => {
      if (!open) return false;
      sent.push(m);
      if (m.type === 'job_event' && m.seq === 1) open = false;
      return true;
    });
    open = true;
    outbox.flush(journal);
    expect(seqs(sent)).toEqual([1, 2, 3]);
  });
});
