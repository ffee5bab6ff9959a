import { defineConfig } from 'vitest/config';

const long = process.env.STROWGER_LONG === '1';

export default defineConfig({
  test: {
    include: long ? ['test/**/*.test.ts', 'test/**/*.long.ts'] : ['test/**/*.test.ts'],
    watch: false,
    testTimeout: long ? 600_000 : 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
