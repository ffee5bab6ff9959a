/** Strings a transaction keeps beyond the life of the request it came from. */

/**
 * The string as one flat sequence of characters. V8 keeps the result of a
 * concatenation as a tree of its parts, whose leaves are often substrings,
 * and a substring (13 characters or more) as a view of its parent: a key or
 * tag kept for seconds would keep the request's header strings alive with it.
 * Reading a character flattens a concatenation in place (an engine detail,
 * checked by test/sip/transaction/memory.test.ts through what the heap keeps).
 */
export function flat<S extends string | undefined>(s: S): S {
  if (s !== undefined) s.charCodeAt(0);
  return s;
}

/** A copy of `s` that is not a view of a longer string (see {@link flat}). */
export function detached(s: string): string {
  // V8 copies substrings shorter than 13 characters; a longer one is a view of its parent
  return s.length < 13 ? s : flat(` ${s}`).slice(1);
}
