/** An item that remembers where it sits in an {@link IndexedHeap} (-1 when in none). */
export interface HeapSlot {
  heapIndex: number;
}

/**
 * A binary min-heap ordered by `less` whose items carry their own index, so removing an
 * arbitrary item (a caller who hangs up in the middle of a queue, a cancelled timer) is
 * O(log n). An item may sit in one IndexedHeap at a time.
 */
export class IndexedHeap<T extends HeapSlot> {
  readonly #items: T[] = [];
  readonly #less: (a: T, b: T) => boolean;

  constructor(less: (a: T, b: T) => boolean) {
    this.#less = less;
  }

  get size(): number {
    return this.#items.length;
  }

  peek(): T | undefined {
    return this.#items[0];
  }

  /** The items in heap (not sorted) order; do not modify. */
  get items(): readonly T[] {
    return this.#items;
  }

  push(item: T): void {
    const a = this.#items;
    item.heapIndex = a.length;
    a.push(item);
    this.#up(a.length - 1);
  }

  pop(): T | undefined {
    const top = this.#items[0];
    if (top !== undefined) this.remove(top);
    return top;
  }

  /** Removes `item`; returns false when it is not in this heap. */
  remove(item: T): boolean {
    const a = this.#items;
    const i = item.heapIndex;
    if (i < 0 || i >= a.length || a[i] !== item) return false;
    const last = a.pop() as T;
    item.heapIndex = -1;
    if (i < a.length) {
      a[i] = last;
      last.heapIndex = i;
      this.#down(i);
      this.#up(last.heapIndex);
    }
    return true;
  }

  has(item: T): boolean {
    const i = item.heapIndex;
    return i >= 0 && i < this.#items.length && this.#items[i] === item;
  }

  #swap(i: number, j: number): void {
    const a = this.#items;
    const x = a[i] as T;
    const y = a[j] as T;
    a[i] = y;
    a[j] = x;
    y.heapIndex = i;
    x.heapIndex = j;
  }

  #up(i: number): void {
    const a = this.#items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i] as T, a[p] as T)) return;
      this.#swap(i, p);
      i = p;
    }
  }

  #down(i: number): void {
    const a = this.#items;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(a[l] as T, a[m] as T)) m = l;
      if (r < n && this.#less(a[r] as T, a[m] as T)) m = r;
      if (m === i) return;
      this.#swap(i, m);
      i = m;
    }
  }
}
