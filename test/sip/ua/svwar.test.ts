/**
 * sipvicious' svwar tries to enumerate extensions from differences between
 * answers for existing and unknown users. Against our registrar (digest for
 * every REGISTER, identical challenges for known and unknown users) and our
 * OPTIONS handling (one answer for any Request-URI) it must find nothing.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createDigestAuthenticator,
  createUdpTransport,
  createUserAgent,
  MemoryLocationStore,
  Registrar,
  type UserAgent,
} from '../../../src/sip/index.js';
import { ensureTool } from '../../helpers/tools.js';

let ua: UserAgent;
let port = 0;

beforeAll(async () => {
  const users: Record<string, string> = {
    '101': 'pw-one-0101',
    '150': 'pw-two-0150',
    '199': 'pw-three-0199',
  };
  const auth = createDigestAuthenticator({
    realm: '127.0.0.1',
    secret: 'another secret of sixteen bytes+',
    lookup: (u) => (users[u] === undefined ? undefined : { password: users[u] as string }),
  });
  const udp = await createUdpTransport({ address: '127.0.0.1', port: 0 });
  port = udp.local.port;
  ua = createUserAgent({
    transports: [udp],
    registrar: new Registrar({ store: new MemoryLocationStore(), authenticator: auth }),
    auth: { authenticator: auth },
  });
  ua.on('INVITE', (s) => s.reject(486));
});

afterAll(() => ua.close({ timeoutMs: 200 }));

function svwar(args: string[]): Promise<string> {
  const bin = ensureTool('svwar', 'sipvicious');
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(killer);
      resolve(out);
    });
  });
}

/** Extension rows of svwar's result table (`| 101 | reqauth |`). */
function found(output: string): string[] {
  return [...output.matchAll(/^\|\s*(\d+)\s*\|/gm)].map((m) => m[1] as string);
}

describe('svwar against the registrar', () => {
  it('control: a registrar that answers unknown users differently is enumerated', async () => {
    const udp = await createUdpTransport({ address: '127.0.0.1', port: 0 });
    const leaky = createUserAgent({ transports: [udp] });
    leaky.onRequest('REGISTER', (req, tx) => {
      const user = (req.to.uri as { user?: string }).user ?? '';
      tx.respond(['101', '150', '199'].includes(user) ? 403 : 404);
    });
    try {
      const out = await svwar([
        '-e100-199',
        '-m',
        'REGISTER',
        '-t',
        '0.02',
        '--maximumtime',
        '5',
        '-b',
        '127.0.0.1',
        `udp://127.0.0.1:${udp.local.port}`,
      ]);
      expect(found(out).sort()).toEqual(['101', '150', '199']);
    } finally {
      await leaky.close({ timeoutMs: 100 });
    }
  }, 90_000);

  for (const method of ['REGISTER', 'OPTIONS'] as const) {
    it(`finds no extension in 100-199 with ${method}`, async () => {
      const out = await svwar([
        '-e100-199',
        '-m',
        method,
        '--force',
        '-t',
        '0.02',
        '--maximumtime',
        '5',
        '-b',
        '127.0.0.1',
        `udp://127.0.0.1:${port}`,
      ]);
      expect(out).not.toMatch(/Traceback/);
      expect(found(out)).toEqual([]);
    }, 90_000);
  }
});
