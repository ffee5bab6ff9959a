import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IndexedHeap } from '../../src/core/index.js';

interface Item {
  heapIndex: number;
  key: number;
  id: number;
}

describe('IndexedHeap', () => {
  it('pops in key order after any mix of pushes and arbitrary removals', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.record({ push: fc.integer({ min: 0, max: 50 }) }), fc.record({ remove: fc.nat() })),
          { maxLength: 200, size: 'max' },
        ),
        (ops) => {
          const heap = new IndexedHeap<Item>((a, b) => a.key < b.key || (a.key === b.key && a.id < b.id));
          const live: Item[] = [];
          let id = 0;
          for (const op of ops) {
            if ('push' in op) {
              const it: Item = { heapIndex: -1, key: op.push, id: id++ };
              heap.push(it);
              live.push(it);
            } else if (live.length > 0) {
              const [it] = live.splice(op.remove % live.length, 1) as [Item];
              expect(heap.remove(it)).toBe(true);
              expect(heap.remove(it)).toBe(false);
              expect(it.heapIndex).toBe(-1);
            }
            expect(heap.size).toBe(live.length);
          }
          const expected = [...live].sort((a, b) => a.key - b.key || a.id - b.id).map((x) => x.id);
          const out: number[] = [];
          for (let x = heap.pop(); x; x = heap.pop()) out.push(x.id);
          expect(out).toEqual(expected);
        },
      ),
    );
  });
});
