import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The real pressluft-agent binary: the registration token is never a process argument.

const BIN = fileURLToPath(new URL('../bin/pressluft-agent.js', import.meta.url));

function agent(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    const { PRESSLUFT_AGENT_TOKEN: _drop, ...rest } = process.env;
    execFile(process.execPath, [BIN, ...args], { env: { ...rest, ...env }, timeout: 15_000 }, (error, _stdout, stderr) => {
      resolve({ code: error ? Number((error as { code?: number }).code ?? -1) : 0, stderr });
    });
  });
}

describe('pressluft-agent arguments', () => {
  it('refuses --token as an unknown option (exit 2) and starts nothing', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-agent-cli-'));
    for (const token of [['--token', 'registration-secret'], ['--token=registration-secret']]) {
      const result = await agent(['--url', 'http://127.0.0.1:1', '--state-dir', stateDir, ...token]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("Unknown option '--token'");
      expect(result.stderr).toContain('PRESSLUFT_AGENT_TOKEN');
    }
  });

  it('without a saved credential, asks for PRESSLUFT_AGENT_TOKEN', async () => {
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'pressluft-agent-cli-'));
    const result = await agent(['--url', 'http://127.0.0.1:1', '--state-dir', stateDir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no registration token; set PRESSLUFT_AGENT_TOKEN');
  });
});
