import { createInterface } from 'node:readline';

/** Where a command reads input: process.stdin, or a stream in tests. */
export type Input = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

/** Ctrl-C at a prompt. */
export class PromptCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'PromptCancelledError';
  }
}

const MAX_INPUT = 4096;

/** One visible line from a terminal (the prompt goes to `write`, i.e. stderr). */
export function promptLine(input: Input, write: (text: string) => void, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, terminal: false });
    write(prompt);
    let answered = false;
    rl.once('line', (line) => { answered = true; rl.close(); resolve(line.trim()); });
    rl.once('close', () => { if (!answered) reject(new PromptCancelledError()); });
  });
}

/**
 * Reads a secret from a terminal with echo off (raw mode, nothing written back but a newline).
 * Enter or Ctrl-D ends it, Backspace deletes, Ctrl-U clears, Ctrl-C cancels.
 */
export function promptHidden(input: Input, write: (text: string) => void, prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chars: string[] = [];
    const finish = (error: Error | null) => {
      input.off('data', onData);
      input.setRawMode?.(false);
      input.pause();
      write('\n');
      if (error) reject(error);
      else resolve(chars.join(''));
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new PromptCancelledError());
        if (ch === '\u007f' || ch === '\b') chars.pop();
        else if (ch === '\u0015') chars.length = 0;
        else if (ch >= ' ' && chars.length < MAX_INPUT) chars.push(ch);
      }
    };
    write(prompt);
    input.setRawMode?.(true);
    input.setEncoding?.('utf8');
    input.on('data', onData);
    input.resume();
  });
}

/** The first line of a piped stdin (`printf '%s\n' "$PW" | pressluft login`), without its newline. */
export async function readFirstLine(input: Input): Promise<string> {
  let text = '';
  for await (const chunk of input as AsyncIterable<Buffer | string>) {
    text += String(chunk);
    const end = text.search(/\r?\n/);
    if (end >= 0) return text.slice(0, end);
    if (text.length > MAX_INPUT) break;
  }
  return text.slice(0, MAX_INPUT);
}
