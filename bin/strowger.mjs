#!/usr/bin/env -S node --max-semi-space-size=64
// --max-semi-space-size=64: a young generation of 128 MB instead of 32. A call's messages,
// transactions and sessions live a few hundred milliseconds; with the default most of them
// survive two scavenges and are copied into the old generation. At 1,400 calls/s the SIP
// thread was busy 37% of the time with it, 57% without (docs/benchmarks.md).
// Runs the built CLI (dist/ is produced by `npm run build`, which `npm ci` runs through `prepare`).
import('../dist/cli.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write(
      'strowger: dist/ is missing; run `npm run build` first (or `npm start` in a checkout)\n',
    );
    process.exit(1);
  }
  throw err;
});
