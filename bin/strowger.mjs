#!/usr/bin/env node
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
