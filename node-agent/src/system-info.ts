import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';

/** The agent's version, from node-agent/package.json. */
export const AGENT_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** PRETTY_NAME of /etc/os-release, else the kernel's name and release. */
export async function osName(): Promise<string> {
  try {
    const text = await readFile('/etc/os-release', 'utf8');
    const match = /^PRETTY_NAME=(?:"([^"]*)"|(.*))$/m.exec(text);
    const name = (match?.[1] ?? match?.[2] ?? '').trim();
    if (name) return name.slice(0, 255);
  } catch {}
  return `${os.type()} ${os.release()}`.slice(0, 255);
}

/** The first non-internal IPv4 address, or null. */
export function publicIp(): string | null {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === 'IPv4' && !address.internal) return address.address;
    }
  }
  return null;
}
