import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sip: 'src/sip/index.ts',
    sdp: 'src/sdp/index.ts',
    rtp: 'src/rtp/index.ts',
    media: 'src/media/index.ts',
    acd: 'src/acd/index.ts',
    testing: 'src/testing/index.ts',
    cli: 'src/api/cli/main.ts',
    // the media worker thread's script: found next to the module that starts it (src/media/worker/worker-script.ts)
    'media-worker': 'src/media/worker/worker-main.ts',
  },
  format: ['esm', 'cjs'],
  dts: {
    entry: {
      index: 'src/index.ts',
      sip: 'src/sip/index.ts',
      sdp: 'src/sdp/index.ts',
      rtp: 'src/rtp/index.ts',
      media: 'src/media/index.ts',
      acd: 'src/acd/index.ts',
      testing: 'src/testing/index.ts',
    },
  },
  sourcemap: true,
  clean: true,
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
});
