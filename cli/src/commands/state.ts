import path from 'node:path';
import { parseCommandArgs, requireString } from '../args.ts';
import { resolveStateDir } from '../config.ts';
import type { Command } from './command.ts';

const backupState: Command = {
  path: ['backup-state'],
  summary: 'Copy the control plane state (database + secret.key) consistently, also while it runs',
  usage: 'Usage: pressluft backup-state --to DIR [--state-dir DIR]',
  async run(args, ctx) {
    const { values } = parseCommandArgs(args, { to: { type: 'string' }, 'state-dir': { type: 'string' } }, this.usage);
    const to = path.resolve(ctx.cwd, requireString(values, 'to', this.usage));
    const stateDir = resolveStateDir(values, ctx.env, ctx.cwd);
    // Loaded lazily: client commands never need the control plane (and its SQLite binding).
    const { backupState: backup } = await import('@pressluft/control-plane');
    const result = await backup(stateDir, to);
    ctx.out.line(`Backed up ${stateDir} to ${to}: ${path.basename(result.database)} (${result.bytes} bytes) and ${path.basename(result.key)}.`);
    ctx.out.line('Keep both together: the key decrypts the secrets in the database.');
    return 0;
  },
};

export const stateCommands: Command[] = [backupState];
