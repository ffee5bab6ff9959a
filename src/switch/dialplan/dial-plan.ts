/**
 * The dial plan: an ordered list of routes, each a number match (exact, prefix, pattern or
 * regular expression) and a target (an extension, a trunk, an application or a queue),
 * with leading digits stripped and others prepended. The first matching route wins. Pure:
 * the switch asks `route(number, from)` and acts on the answer.
 *
 * Pattern syntax (Asterisk-like, without the leading underscore):
 *   0-9 * # +   themselves
 *   X           any digit 0-9
 *   Z           any digit 1-9
 *   N           any digit 2-9
 *   [15-7]      one of the listed digits or ranges
 *   .           one or more further characters (only last)
 *   !           zero or more further characters (only last)
 */
import { StrowgerError } from '../../core/index.js';

export type RouteMatch =
  | { kind: 'exact'; value: string }
  | { kind: 'prefix'; value: string }
  | { kind: 'pattern'; value: string }
  | { kind: 'regex'; value: string };

export type RouteTarget =
  | { kind: 'extension'; extension: string }
  | { kind: 'trunk'; trunk: string }
  | { kind: 'application'; application: string }
  | { kind: 'queue'; queue: string };

/** Who may use a route: calls from local users (default), from trunks, or any. */
export type RouteSource = 'users' | 'trunks' | 'any';

export interface DialRoute {
  name?: string;
  match: RouteMatch;
  target: RouteTarget;
  /** Leading characters removed from the dialed number (default 0). */
  strip?: number;
  /** Prepended after stripping (default ''). */
  prepend?: string;
  from?: RouteSource;
}

export interface RouteResult {
  route: DialRoute;
  /** Index of the route in the plan. */
  index: number;
  target: RouteTarget;
  /** The number to send on: stripped and prepended. */
  number: string;
}

const DIAL_CHARS = /^[0-9*#+]$/;

/**
 * Compiles a dial pattern to an anchored RegExp. Throws ERR_INVALID_ARGUMENT with the
 * offending position on a malformed pattern.
 */
export function compileDialPattern(pattern: string): RegExp {
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new StrowgerError('ERR_INVALID_ARGUMENT', 'pattern must be a non-empty string');
  }
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    const at = (why: string) =>
      new StrowgerError('ERR_INVALID_ARGUMENT', `pattern ${JSON.stringify(pattern)} at ${i + 1}: ${why}`);
    if (DIAL_CHARS.test(c)) re += c === '*' || c === '+' ? `\\${c}` : c;
    else if (c === 'X' || c === 'x') re += '[0-9]';
    else if (c === 'Z' || c === 'z') re += '[1-9]';
    else if (c === 'N' || c === 'n') re += '[2-9]';
    else if (c === '.' || c === '!') {
      if (i !== pattern.length - 1) throw at(`'${c}' may only end a pattern`);
      re += c === '.' ? '.+' : '.*';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i);
      if (end < 0) throw at("'[' without ']'");
      const body = pattern.slice(i + 1, end);
      if (!/^(?:[0-9*#](?:-[0-9])?)+$/.test(body))
        throw at(`bad set [${body}]: use digits and ranges like [1-5]`);
      for (const m of body.matchAll(/([0-9])-([0-9])/g)) {
        if ((m[1] as string) > (m[2] as string)) throw at(`range ${m[0]} runs backwards`);
      }
      re += `[${body.replace(/[*#]/g, '\\$&')}]`;
      i = end;
    } else {
      throw at(`unexpected ${JSON.stringify(c)} (use digits, * # +, X Z N, [..], and a final . or !)`);
    }
  }
  return new RegExp(`${re}$`);
}

/** Compiles a match to a predicate. Throws ERR_INVALID_ARGUMENT when it is malformed. */
export function compileMatch(match: RouteMatch): (number: string) => boolean {
  switch (match.kind) {
    case 'exact':
      return (n) => n === match.value;
    case 'prefix':
      return (n) => n.startsWith(match.value);
    case 'pattern': {
      const re = compileDialPattern(match.value);
      return (n) => re.test(n);
    }
    case 'regex': {
      let re: RegExp;
      try {
        // The whole number must match.
        re = new RegExp(`^(?:${match.value})$`, 'u');
      } catch (err) {
        throw new StrowgerError(
          'ERR_INVALID_ARGUMENT',
          `regex ${JSON.stringify(match.value)}: ${(err as Error).message}`,
        );
      }
      return (n) => re.test(n);
    }
    default:
      throw new StrowgerError(
        'ERR_INVALID_ARGUMENT',
        `unknown match kind ${JSON.stringify((match as { kind: unknown }).kind)}`,
      );
  }
}

/** An ordered, compiled dial plan. */
export class DialPlan {
  readonly routes: readonly DialRoute[];
  readonly #tests: ((n: string) => boolean)[];

  constructor(routes: readonly DialRoute[]) {
    this.routes = routes;
    this.#tests = routes.map((r, i) => {
      try {
        return compileMatch(r.match);
      } catch (err) {
        throw new StrowgerError('ERR_INVALID_ARGUMENT', `routes[${i}]: ${(err as Error).message}`, {
          cause: err,
        });
      }
    });
  }

  /** The first route that matches `number` for a call from `from`, or undefined. */
  route(number: string, from: 'users' | 'trunks' = 'users'): RouteResult | undefined {
    for (let i = 0; i < this.routes.length; i++) {
      const r = this.routes[i] as DialRoute;
      const src = r.from ?? 'users';
      if (src !== 'any' && src !== from) continue;
      if (!(this.#tests[i] as (n: string) => boolean)(number)) continue;
      return { route: r, index: i, target: r.target, number: (r.prepend ?? '') + number.slice(r.strip ?? 0) };
    }
    return undefined;
  }
}

export function createDialPlan(routes: readonly DialRoute[]): DialPlan {
  return new DialPlan(routes);
}
