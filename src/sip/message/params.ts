/**
 * An ordered list of `name[=value]` parameters (URI parameters, header
 * parameters). Names compare case-insensitively; the original spelling and
 * order are kept for serialization. A parameter present without a value reads
 * as `null`; an absent one as `undefined`.
 */
const EMPTY: Array<string | null> = [];

export class Params {
  /** name, value, name, value … (one array: parameters are few and parsed on every message) */
  #list: Array<string | null> = EMPTY;

  constructor(entries?: Iterable<readonly [string, string | null]>) {
    if (entries) for (const [n, v] of entries) this.append(n, v);
  }

  get size(): number {
    return this.#list.length >> 1;
  }

  get(name: string): string | null | undefined {
    const i = this.#indexOf(name);
    return i < 0 ? undefined : (this.#list[i + 1] as string | null);
  }

  has(name: string): boolean {
    return this.#indexOf(name) >= 0;
  }

  /** Sets (replacing the first of that name, keeping its position) or appends. */
  set(name: string, value: string | null = null): this {
    const i = this.#indexOf(name);
    if (i >= 0) this.#list[i + 1] = value;
    else this.append(name, value);
    return this;
  }

  /** Appends without looking for an existing parameter of that name. */
  append(name: string, value: string | null = null): this {
    // the list is allocated on first use (most URIs and many headers have no parameters), and
    // at the second parameter as an exact literal: push() would grow it to ~19 slots at once
    const l = this.#list;
    if (l === EMPTY) this.#list = [name, value];
    else if (l.length === 2) this.#list = [l[0] as string, l[1] as string | null, name, value];
    else l.push(name, value);
    return this;
  }

  delete(name: string): boolean {
    let found = false;
    for (let i = this.#list.length - 2; i >= 0; i -= 2) {
      if (sameName(this.#list[i] as string, name)) {
        this.#list.splice(i, 2);
        found = true;
      }
    }
    return found;
  }

  /** Name of the i-th parameter (0-based), for allocation-free iteration with {@link size}. */
  nameAt(i: number): string | undefined {
    return this.#list[2 * i] as string | undefined;
  }

  /** Value of the i-th parameter (0-based). */
  valueAt(i: number): string | null | undefined {
    return this.#list[2 * i + 1];
  }

  *entries(): IterableIterator<[string, string | null]> {
    const l = this.#list;
    for (let i = 0; i < l.length; i += 2) yield [l[i] as string, l[i + 1] as string | null];
  }

  [Symbol.iterator](): IterableIterator<[string, string | null]> {
    return this.entries();
  }

  clone(): Params {
    const p = new Params();
    if (this.#list !== EMPTY) p.#list = this.#list.slice();
    return p;
  }

  /** `;a=b;c` — empty string when there are none. */
  toString(separator = ';'): string {
    const l = this.#list;
    let s = '';
    for (let i = 0; i < l.length; i += 2) {
      const v = l[i + 1];
      s += v === null ? `${separator}${l[i]}` : `${separator}${l[i]}=${v}`;
    }
    return s;
  }

  /** Plain object view with lower-cased names (the first of duplicate names wins). */
  toJSON(): Record<string, string | null> {
    const o: Record<string, string | null> = {};
    const l = this.#list;
    for (let i = 0; i < l.length; i += 2) {
      const k = (l[i] as string).toLowerCase();
      if (!(k in o)) o[k] = l[i + 1] as string | null;
    }
    return o;
  }

  #indexOf(name: string): number {
    const l = this.#list;
    for (let i = 0; i < l.length; i += 2) if (l[i] === name) return i;
    for (let i = 0; i < l.length; i += 2) if (sameName(l[i] as string, name)) return i;
    return -1;
  }
}

/** ASCII case-insensitive comparison without allocating. */
export function sameName(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y && ((x | 0x20) !== (y | 0x20) || (x | 0x20) < 97 || (x | 0x20) > 122)) return false;
  }
  return true;
}
