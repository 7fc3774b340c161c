import { z } from 'zod';
import type { StepStatus } from '@pressluft/shared';

/** One JSON line of ansible/callback_plugins/pressluft_jsonl.py (see docs/agent.md). */
const CallbackLine = z.discriminatedUnion('event', [
  z.object({ event: z.literal('playbook_start'), playbook: z.string().nullish() }),
  z.object({ event: z.literal('play_start'), name: z.string().nullish() }),
  z.object({ event: z.literal('task_start'), name: z.string() }),
  z.object({
    event: z.literal('task_result'),
    name: z.string(),
    status: z.enum(['ok', 'changed', 'skipped', 'failed', 'unreachable']),
    duration_ms: z.number().nullish(),
    message: z.string().nullish(),
    item: z.string().nullish(),
  }),
  z.object({
    event: z.literal('playbook_end'),
    ok: z.boolean().nullish(),
    stats: z.record(z.string(), z.number()).nullish(),
  }),
]);

/** A step as parsed from a line; the job runner stamps and sends it. */
export interface ParsedStep {
  name: string;
  status: StepStatus;
  duration_ms: number | null;
  message: string | null;
}

export interface ParsedLine {
  /** The step event this line becomes, if any. */
  step: ParsedStep | null;
  /** The readable text for the output tail. */
  text: string;
  /** Set when this line reports a failed (or unreachable) task. */
  failure: { name: string; message: string | null } | null;
}

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** Parses one stdout line of ansible-playbook; a line that is not callback JSON is plain text. */
export function parseCallbackLine(line: string): ParsedLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { step: null, text: line, failure: null };
  }
  const parsed = CallbackLine.safeParse(json);
  if (!parsed.success) return { step: null, text: line, failure: null };
  const event = parsed.data;
  switch (event.event) {
    case 'playbook_start':
      return { step: null, text: `PLAYBOOK ${event.playbook ?? ''}`.trimEnd(), failure: null };
    case 'play_start':
      return { step: null, text: `PLAY ${event.name ?? ''}`.trimEnd(), failure: null };
    case 'task_start':
      return {
        step: { name: clip(event.name, 500), status: 'started', duration_ms: null, message: null },
        text: `TASK ${event.name}`,
        failure: null,
      };
    case 'task_result': {
      const name = clip(event.item ? `${event.name} (${event.item})` : event.name, 500);
      const failed = event.status === 'failed' || event.status === 'unreachable';
      // The protocol has no "unreachable" step status: it is a failure, said in the message.
      const rawMessage = event.status === 'unreachable' ? `unreachable: ${event.message ?? ''}`.trimEnd() : event.message ?? null;
      const message = rawMessage === null ? null : clip(rawMessage, 2000);
      const duration = event.duration_ms == null ? null : Math.max(0, Math.round(event.duration_ms));
      return {
        step: { name, status: failed ? 'failed' : event.status as StepStatus, duration_ms: duration, message },
        text: `TASK ${name}: ${event.status}${message ? `: ${message}` : ''}`,
        failure: failed ? { name, message } : null,
      };
    }
    case 'playbook_end': {
      const stats = event.stats ? Object.entries(event.stats).map(([k, v]) => `${k}=${v}`).join(' ') : '';
      return { step: null, text: `PLAY RECAP ${stats}`.trimEnd(), failure: null };
    }
  }
}
