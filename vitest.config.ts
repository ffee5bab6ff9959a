import { defineConfig } from 'vitest/config';

const long = process.env.STROWGER_LONG === '1';

/**
 * Tests that measure real time against real peers (RTP streamed in real time, SIPp
 * with loss, softphones, spawned switches). They run after everything else, one
 * file at a time, so CPU-heavy unit tests on a 2-core machine cannot starve them.
 * Name new ones `*.e2e.test.ts` or list them here.
 */
const REALTIME = [
  'test/**/*.e2e.test.ts',
  'test/media/worker/loopback.test.ts',
  'test/media/worker/conference-loopback.test.ts',
  'test/sip/ua/sipp.test.ts',
  'test/sip/ua/svwar.test.ts',
  'test/api/cli.test.ts',
];
const include = long ? ['test/**/*.test.ts', 'test/**/*.long.ts'] : ['test/**/*.test.ts'];

export default defineConfig({
  test: {
    watch: false,
    testTimeout: long ? 600_000 : 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'unit', include, exclude: REALTIME } },
      {
        extends: true,
        test: { name: 'realtime', include: REALTIME, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
