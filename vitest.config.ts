import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real agents and processes; a generous deadline keeps a loaded
    // 2-core machine from failing them, while each test still waits on conditions, not timers.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    globalSetup: ['test/support/global-setup.ts'],
    pool: 'forks',
  },
});
