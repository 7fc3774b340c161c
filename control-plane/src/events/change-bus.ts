import { EventEmitter } from 'node:events';
import type { ChangeEvent } from '@pressluft/shared';

/** What a committed transaction announces: a public change, or "job X has new events". */
export type BusNote = ChangeEvent | { type: 'job_event'; id: string };

/**
 * In-process change bus feeding the SSE streams. Notes are published only after the
 * transaction that caused them committed, so a listener that re-reads sees the change.
 */
export class ChangeBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  publish(notes: readonly BusNote[]): void {
    for (const note of notes) {
      if (note.type === 'job_event') this.emitter.emit(`job_event:${note.id}`);
      else this.emitter.emit('change', note);
    }
  }

  onChange(listener: (event: ChangeEvent) => void): () => void {
    this.emitter.on('change', listener);
    return () => this.emitter.off('change', listener);
  }

  onJobEvent(jobId: string, listener: () => void): () => void {
    const name = `job_event:${jobId}`;
    this.emitter.on(name, listener);
    return () => this.emitter.off(name, listener);
  }
}
