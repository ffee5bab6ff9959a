/** A binary min-heap ordered by `less`. O(log n) push/pop; `remove` is O(n). */
export class MinHeap<T> {
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

  push(item: T): void {
    const a = this.#items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i] as T, a[p] as T)) break;
      [a[i], a[p]] = [a[p] as T, a[i] as T];
      i = p;
    }
  }

  pop(): T | undefined {
    const a = this.#items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop() as T;
    if (a.length > 0) {
      a[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Removes the first item for which `match` is true; returns whether one was removed. */
  remove(match: (item: T) => boolean): boolean {
    const a = this.#items;
    const i = a.findIndex(match);
    if (i < 0) return false;
    const last = a.pop() as T;
    if (i < a.length) {
      a[i] = last;
      this.#siftDown(i);
      this.#siftUp(i);
    }
    return true;
  }

  clear(): void {
    this.#items.length = 0;
  }

  #siftUp(i: number): void {
    const a = this.#items;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(a[i] as T, a[p] as T)) break;
      [a[i], a[p]] = [a[p] as T, a[i] as T];
      i = p;
    }
  }

  #siftDown(i: number): void {
    const a = this.#items;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(a[l] as T, a[m] as T)) m = l;
      if (r < n && this.#less(a[r] as T, a[m] as T)) m = r;
      if (m === i) return;
      [a[i], a[m]] = [a[m] as T, a[i] as T];
      i = m;
    }
  }
}
