import { StrowgerError } from '../../core/index.js';

/** One problem of a configuration: where (`users[3].password`) and what (`required`). */
export interface ConfigIssue {
  /** Dotted path with [index] for list items; '' for the file as a whole. */
  path: string;
  message: string;
}

/**
 * A configuration that cannot be used: `code` 'ERR_CONFIG', every problem in `issues`
 * (all of them, not the first), and a message listing them one per line.
 */
export class ConfigError extends StrowgerError {
  readonly issues: readonly ConfigIssue[];
  /** The file (or the name given for a text). */
  readonly source: string | undefined;

  constructor(issues: readonly ConfigIssue[], source?: string, options?: { cause?: unknown }) {
    const lines = issues.map((i) => `  ${formatIssue(i)}`);
    super(
      'ERR_CONFIG',
      `invalid configuration${source ? ` in ${source}` : ''} (${issues.length} ${issues.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`,
      options,
    );
    this.issues = issues;
    this.source = source;
  }
}

export function formatIssue(issue: ConfigIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** `['users', 3, 'password']` → `users[3].password`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (typeof p === 'string' && /^[A-Za-z_$][\w$-]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out;
}
