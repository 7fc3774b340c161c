import { defineConfig } from 'vitest/config';

// Unit projects run in parallel; system projects (link, runtime, e2e) drive real processes,
// nginx, PHP-FPM and MariaDB on this machine and run one file at a time (scripts/test.sh).
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'shared', include: ['shared/test/**/*.test.ts'] } },
      { test: { name: 'control-plane', include: ['control-plane/test/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'node-agent', include: ['node-agent/test/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'cli', include: ['cli/test/**/*.test.ts'], testTimeout: 20_000 } },
      { test: { name: 'dashboard', include: ['control-plane/dashboard/test/**/*.test.ts'] } },
      { test: { name: 'link', include: ['test/link/**/*.test.ts'], testTimeout: 120_000, hookTimeout: 120_000 } },
      { test: { name: 'runtime', include: ['test/runtime/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 900_000 } },
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 300_000, hookTimeout: 1_200_000 } },
    ],
  },
});
