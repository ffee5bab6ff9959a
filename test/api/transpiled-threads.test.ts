/**
 * The CDR writer thread and the UDP I/O thread run a function's source text. Under a
 * transpiler that keeps function names (tsx: `npm start`) that text calls a `__name`
 * helper it does not define; the threads must still start (the CDR writer once fell back
 * to the main thread there without a word).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('threads started from source text, under tsx', () => {
  it('the CDR writer runs on its thread and the UDP socket on its I/O thread', async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(root, 'test/fixtures/scripts/threads-under-tsx.mts'),
      ],
      { cwd: root, timeout: 60_000 },
    );
    expect(JSON.parse(stdout.trim().split('\n').pop() ?? '')).toEqual({
      cdrWriter: 'thread',
      udp: 'OPTIONS sip:x SIP/2.0',
    });
  }, 70_000);
});
