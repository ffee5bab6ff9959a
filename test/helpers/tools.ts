/**
 * External peers for tests (SIPp, baresip, Kamailio, sox …). A missing tool
 * is installed with apt-get when the tests run as root (as CI does); otherwise
 * the test fails with a message saying what to install — never a silent skip.
 */
import { execFileSync, spawnSync } from 'node:child_process';

const checked = new Map<string, string>();

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const p = r.stdout.trim();
  return r.status === 0 && p ? p : undefined;
}

/** Path of `cmd`, installing Debian `pkg` first when missing and possible. Throws with advice otherwise. */
export function ensureTool(cmd: string, pkg: string): string {
  const hit = checked.get(cmd);
  if (hit) return hit;
  let path = which(cmd);
  if (!path && process.getuid?.() === 0 && which('apt-get')) {
    try {
      execFileSync(
        'sh',
        [
          '-c',
          `apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null 2>&1 || (apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq --no-install-recommends ${pkg} >/dev/null 2>&1)`,
        ],
        {
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
          timeout: 600_000,
          stdio: 'ignore',
        },
      );
    } catch {
      // reported below
    }
    path = which(cmd);
  }
  if (!path)
    throw new Error(
      `${cmd} is needed by this test: install the Debian package "${pkg}" (apt-get install ${pkg})`,
    );
  checked.set(cmd, path);
  return path;
}
