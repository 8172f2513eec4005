import { defineConfig } from 'vitest/config';

// Forks, not threads: native addons (better-sqlite3, serialport) can crash a threads pool.
export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});
