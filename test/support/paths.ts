import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ANSIBLE_DIR = path.join(REPO_ROOT, 'ansible');
export const CLI_BIN = path.join(REPO_ROOT, 'cli/bin/pressluft.js');
/** The self-node's web server port in system tests (80 may be taken on a developer's machine). */
export const TEST_HTTP_PORT = 8088;
/** Playbook runs on this machine hold this lock (see test/runtime/support.ts). */
export const RUNTIME_LOCK = '/run/lock/pressluft-runtime.lock';
export const ARTIFACTS_DIR = path.join(REPO_ROOT, 'test-artifacts');
