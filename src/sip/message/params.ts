/**
 * An ordered list of `name[=value]` parameters (URI parameters, header
 * parameters). Names compare case-insensitively; the original spelling and
 * order are kept for serialization. A parameter present without a value reads
 * as `null`; an absent one as `undefined`.
 */
export class Params {
  readonly #names: string[] = [];
  readonly #keys: string[] = [];
  readonly #values: Array<string | null> = [];

  constructor(entries?: Iterable<readonly [string, string | null]>) {
    if (entries) for (const [n, v] of entries) this.append(n, v);
  }

  get size(): number {
    return this.#names.length;
  }

  get(name: string): string | null | undefined {
    const i = this.#indexOf(name);
    return i < 0 ? undefined : (this.#values[i] as string | null);
  }

  has(name: string): boolean {
    return this.#indexOf(name) >= 0;
  }

  /** Sets (replacing the first of that name, keeping its position) or appends. */
  set(name: string, value: string | null = null): this {
    const i = this.#indexOf(name);
    if (i >= 0) this.#values[i] = value;
    else this.append(name, value);
    return this;
  }

  /** Appends without looking for an existing parameter of that name. */
  append(name: string, value: string | null = null): this {
    this.#names.push(name);
    this.#keys.push(name.toLowerCase());
    this.#values.push(value);
    return this;
  }

  delete(name: string): boolean {
    const key = name.toLowerCase();
    let found = false;
    for (let i = this.#keys.length - 1; i >= 0; i--) {
      if (this.#keys[i] === key) {
        this.#names.splice(i, 1);
        this.#keys.splice(i, 1);
        this.#values.splice(i, 1);
        found = true;
      }
    }
    return found;
  }

  *entries(): IterableIterator<[string, string | null]> {
    for (let i = 0; i < this.#names.length; i++)
      yield [this.#names[i] as string, this.#values[i] as string | null];
  }

  [Symbol.iterator](): IterableIterator<[string, string | null]> {
    return this.entries();
  }

  clone(): Params {
    return new Params(this.entries());
  }

  /** `;a=b;c` — empty string when there are none. */
  toString(separator = ';'): string {
    let s = '';
    for (let i = 0; i < this.#names.length; i++) {
      const v = this.#values[i];
      s += v === null ? `${separator}${this.#names[i]}` : `${separator}${this.#names[i]}=${v}`;
    }
    return s;
  }

  /** Plain object view with lower-cased names (the first of duplicate names wins). */
  toJSON(): Record<string, string | null> {
    const o: Record<string, string | null> = {};
    for (let i = 0; i < this.#keys.length; i++) {
      const k = this.#keys[i] as string;
      if (!(k in o)) o[k] = this.#values[i] as string | null;
    }
    return o;
  }

  #indexOf(name: string): number {
    const keys = this.#keys;
    // fast path: callers mostly ask with the canonical lower-case name
    for (let i = 0; i < keys.length; i++) if (keys[i] === name) return i;
    const key = name.toLowerCase();
    if (key === name) return -1;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) return i;
    return -1;
  }
}
