/**
 * Looking for a value in the live heap: a heap snapshot runs a full garbage collection and
 * lists only what is still reachable.
 */
import { randomBytes } from 'node:crypto';
import { getHeapSnapshot } from 'node:v8';

/**
 * True when a live string contains `needle`. The needle is bytes, never a JS string: as a
 * string it would be in the heap itself.
 */
export async function heapHolds(needle: Buffer): Promise<boolean> {
  let tail = Buffer.alloc(0);
  for await (const chunk of getHeapSnapshot()) {
    const data = Buffer.concat([tail, chunk as Buffer]);
    if (data.includes(needle)) return true;
    tail = data.subarray(Math.max(0, data.length - needle.length));
  }
  return false;
}

/** A flat heap string no other string contains, and the bytes to find it by. */
export function marker(label: string): { text: string; needle: Buffer } {
  const needle = Buffer.concat([
    Buffer.from(`${label}-`, 'latin1'),
    Buffer.from(randomBytes(12).toString('hex'), 'latin1'),
  ]);
  return { text: needle.toString('latin1'), needle };
}
