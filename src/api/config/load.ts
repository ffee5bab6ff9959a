/**
 * Loading a configuration: YAML text → raw object → (command-line overrides) → schema and
 * cross-reference checks → a frozen {@link SwitchConfig}. Any problem, from a YAML syntax
 * error to an unknown queue, ends in one {@link ConfigError} that lists them all.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue, formatPath } from './errors.js';
import { checkReferences } from './references.js';
import { buildConfigSchema, type Env } from './schema.js';
import type { LogLevel, SwitchConfig } from './types.js';

/** Command-line settings that win over the file. */
export interface ConfigOverrides {
  /** Bind address of every SIP transport and of RTP. */
  bind?: string;
  /** Port of every udp and tcp transport. */
  sipPort?: number;
  /** Data directory (resolved against the working directory). */
  dataDir?: string;
  logLevel?: LogLevel;
}

export interface LoadConfigOptions {
  /** Where `{ env: NAME }` secrets come from (default `process.env`). */
  env?: Env;
  /** Relative paths in the file resolve against this (default: the file's directory, or the working directory for a text). */
  baseDir?: string;
  overrides?: ConfigOverrides;
  /** Name of a text source in error messages. */
  source?: string;
}

export type ConfigSource = string | URL | { text: string; name?: string };

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

/**
 * A plain scalar that starts with `+` or a `0` followed by digits is a dial string, not a
 * number: `+15551230000` and `0044` keep their text (YAML would make them 15551230000 and 44).
 */
function keepDialStrings(doc: YAML.Document): void {
  YAML.visit(doc, {
    Scalar(_key, node) {
      const src = (node as { source?: unknown }).source;
      if (
        node.type === 'PLAIN' &&
        typeof node.value === 'number' &&
        typeof src === 'string' &&
        /^(?:\+|0\d)\d*$/.test(src)
      ) {
        node.value = src;
      }
    },
  });
}

/** Parses YAML text to a raw object; syntax errors become issues with line and column. */
export function parseYaml(text: string, source?: string): unknown {
  const doc = YAML.parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const issues = doc.errors.map((e) => {
      const pos = e.linePos?.[0];
      const what = e.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? e.message;
      return { path: '', message: pos ? `line ${pos.line}, column ${pos.col}: ${what}` : what };
    });
    throw new ConfigError(issues, source);
  }
  keepDialStrings(doc);
  const raw = doc.toJS({ maxAliasCount: 100 }) as unknown;
  return raw ?? {};
}

/** Applies command-line overrides to a raw configuration object (a copy). */
export function applyOverrides(raw: unknown, o: ConfigOverrides | undefined): unknown {
  if (!o || typeof raw !== 'object' || raw === null || Array.isArray(raw)) return raw;
  const out = structuredClone(raw) as Record<string, Record<string, unknown>>;
  const section = (name: string): Record<string, unknown> => {
    const s = out[name];
    if (typeof s === 'object' && s !== null && !Array.isArray(s)) return s;
    out[name] = {};
    return out[name];
  };
  if (o.bind !== undefined || o.sipPort !== undefined) {
    const sip = section('sip');
    if (!Array.isArray(sip.transports)) sip.transports = [{ type: 'udp' }];
    for (const t of sip.transports as Record<string, unknown>[]) {
      if (typeof t !== 'object' || t === null) continue;
      if (o.bind !== undefined) t.address = o.bind;
      if (o.sipPort !== undefined && (t.type === 'udp' || t.type === 'tcp')) t.port = o.sipPort;
    }
    if (o.bind !== undefined) section('media').address = o.bind;
  }
  if (o.dataDir !== undefined) section('storage').dataDir = resolve(o.dataDir);
  if (o.logLevel !== undefined) section('logging').level = o.logLevel;
  return out;
}

/** Turns zod issues into ours: one per unknown key, union failures by their best branch. */
function toIssues(issues: readonly z.core.$ZodIssue[], prefix: readonly PropertyKey[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) out.push({ path: formatPath([...at, k]), message: 'unknown key' });
    } else if (
      issue.code === 'invalid_union' &&
      issue.errors.length > 0 &&
      issue.message === 'Invalid input'
    ) {
      // The branch that got furthest (deepest paths) says the most.
      const best = [...issue.errors].sort(
        (a, b) => Math.max(0, ...b.map((i) => i.path.length)) - Math.max(0, ...a.map((i) => i.path.length)),
      )[0] as z.core.$ZodIssue[];
      out.push(...toIssues(best, at));
    } else {
      out.push({ path: formatPath(at), message: issue.message });
    }
  }
  return out;
}

/** Messages for the issues whose schema gave none of its own. */
function errorMap(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'required';
    const want: Record<string, string> = {
      array: 'must be a list',
      object: 'must be a mapping (key: value)',
      string: 'must be a string',
      number: 'must be a number',
      int: 'must be an integer',
      boolean: 'must be true or false',
    };
    return want[issue.expected] ?? `must be ${issue.expected}`;
  }
  if (issue.code === 'invalid_value')
    return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
  if (issue.code === 'too_small' && issue.origin === 'array')
    return `must have at least ${issue.minimum} item(s)`;
  return undefined;
}

/** Validates a raw configuration object (already parsed from YAML or built in code). */
export function validateConfig(raw: unknown, options: LoadConfigOptions = {}): SwitchConfig {
  const env = options.env ?? process.env;
  const baseDir = resolve(options.baseDir ?? process.cwd());
  const input = applyOverrides(raw ?? {}, options.overrides);
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError(
      [{ path: '', message: 'the configuration must be a mapping (key: value) at the top level' }],
      options.source,
    );
  }
  const result = buildConfigSchema(env, baseDir).safeParse(input, { error: errorMap });
  const issues = result.success ? [] : toIssues(result.error.issues);
  const seen = new Set(issues.map((i) => i.path));
  for (const i of checkReferences(input)) if (!seen.has(i.path)) issues.push(i);
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, options.source);
  return deepFreeze(result.data as SwitchConfig);
}

/** Parses and validates YAML text. */
export function parseConfig(text: string, options: LoadConfigOptions = {}): SwitchConfig {
  return validateConfig(parseYaml(text, options.source), options);
}

/**
 * Loads a configuration file (a path or file URL) or a text (`{ text }`). Relative paths
 * inside a file resolve against its directory.
 */
export async function loadConfig(
  source: ConfigSource,
  options: LoadConfigOptions = {},
): Promise<SwitchConfig> {
  if (typeof source === 'object' && !(source instanceof URL)) {
    return parseConfig(source.text, { ...options, source: options.source ?? source.name });
  }
  const file = resolve(source instanceof URL ? fileURLToPath(source) : source);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${why}` }], file, { cause: err });
  }
  return parseConfig(text, {
    ...options,
    baseDir: options.baseDir ?? dirname(file),
    source: options.source ?? file,
  });
}
