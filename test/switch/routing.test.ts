/**
 * The routing decision (Directory.destination) and the failure mapping (pickFailure),
 * as pure functions.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Directory, dispositionOf, pickFailure, type SwitchTrunk } from '../../src/switch/index.js';
import { settings, user } from './helpers.js';

const trunk: SwitchTrunk = {
  name: 'carrier',
  registrar: 'sip:192.0.2.1',
  transport: 'udp',
  register: false,
  expires: 600,
  dids: [
    { number: '+15550001', target: { kind: 'extension', extension: '1002' } },
    { number: '+15550002', target: { kind: 'application', application: 'echo' } },
  ],
  enabled: true,
};

function directory() {
  const s = settings();
  return new Directory({
    ...s,
    users: [...s.users, user('1009', { enabled: false })],
    trunks: [trunk, { ...trunk, name: 'off', enabled: false, dids: [] }],
    routes: [
      ...s.routes,
      {
        match: { kind: 'prefix', value: '0' },
        target: { kind: 'trunk', trunk: 'carrier' },
        strip: 1,
        prepend: '+',
      },
      { match: { kind: 'prefix', value: '7' }, target: { kind: 'trunk', trunk: 'off' } },
      {
        match: { kind: 'exact', value: '555' },
        target: { kind: 'extension', extension: '1009' },
        from: 'any',
      },
      {
        match: { kind: 'exact', value: '556' },
        target: { kind: 'application', application: 'echo' },
        from: 'trunks',
      },
    ],
  });
}

const alice = { kind: 'user' as const, user: user('1001') };
const fromTrunk = { kind: 'trunk' as const, trunk };

describe('routing', () => {
  it('a user reaches extensions by their number, then the dial plan', () => {
    const d = directory();
    expect(d.destination(['1002'], alice)).toMatchObject({ kind: 'extension', number: '1002' });
    expect(d.destination(['9196'], alice)).toMatchObject({ kind: 'application', route: 'echo' });
    expect(d.destination(['*71'], alice)).toMatchObject({ kind: 'extension', number: '1002' });
    expect(d.destination(['0123'], alice)).toMatchObject({ kind: 'trunk', number: '+123' });
    expect(d.destination(['9000'], alice)).toMatchObject({ kind: 'queue', queue: 'demo' });
  });

  it('unknown, disabled and trunk-only destinations are unknown to users', () => {
    const d = directory();
    expect(d.destination(['4242'], alice).kind).toBe('unknown');
    expect(d.destination(['1009'], alice).kind).toBe('unknown'); // disabled user
    expect(d.destination(['555'], alice).kind).toBe('unknown'); // route to a disabled user
    expect(d.destination(['7000'], alice).kind).toBe('unknown'); // disabled trunk
    expect(d.destination(['556'], alice).kind).toBe('unknown'); // from: trunks
    expect(d.destination([], alice).kind).toBe('unknown');
  });

  it('a trunk reaches its DIDs (Request-URI user, then To user) and routes open to trunks, never extensions directly', () => {
    const d = directory();
    expect(d.destination(['+15550001'], fromTrunk)).toMatchObject({ kind: 'extension', number: '1002' });
    expect(d.destination(['acme', '+15550002'], fromTrunk)).toMatchObject({ kind: 'application' });
    expect(d.destination(['556'], fromTrunk)).toMatchObject({ kind: 'application' });
    expect(d.destination(['1002'], fromTrunk).kind).toBe('unknown');
    expect(d.destination(['0123'], fromTrunk).kind).toBe('unknown'); // no dialling back out
  });

  it('refuses duplicate extensions and bad patterns', () => {
    const s = settings();
    expect(() => new Directory({ ...s, users: [user('1'), user('1')] })).toThrow(/same extension/);
    expect(
      () =>
        new Directory({
          ...s,
          routes: [
            { match: { kind: 'pattern', value: 'X[' }, target: { kind: 'extension', extension: '1' } },
          ],
        }),
    ).toThrow(/routes\[0\]/);
  });
});

describe('failure mapping', () => {
  it('picks the status the caller gets from the forks', () => {
    expect(pickFailure([486, 480])).toEqual({ status: 486, disposition: 'busy' });
    expect(pickFailure([480, 603, 486])).toEqual({ status: 603, disposition: 'failed' });
    expect(pickFailure([600])).toEqual({ status: 600, disposition: 'busy' });
    expect(pickFailure([480, 408])).toEqual({ status: 480, disposition: 'no-answer' });
    expect(pickFailure([408])).toEqual({ status: 408, disposition: 'no-answer' });
    expect(pickFailure([503])).toEqual({ status: 500, disposition: 'failed' });
    expect(pickFailure([480, 404, 403])).toEqual({ status: 403, disposition: 'failed' });
    expect(pickFailure([302])).toEqual({ status: 480, disposition: 'no-answer' });
    expect(pickFailure([487])).toEqual({ status: 480, disposition: 'no-answer' });
  });

  it('always answers a final failure status, with the disposition that status means', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 300, max: 699 }), { maxLength: 6 }), (statuses) => {
        const f = pickFailure(statuses);
        expect(f.status).toBeGreaterThanOrEqual(400);
        expect(f.status).toBeLessThan(700);
        expect(f.status).not.toBe(503);
        expect(f.disposition).toBe(
          f.status === 480 || f.status === 408 ? 'no-answer' : dispositionOf(f.status),
        );
        // a 6xx anywhere wins
        if (statuses.some((s) => s >= 600)) expect(f.status).toBeGreaterThanOrEqual(600);
        // order does not matter
        expect(pickFailure([...statuses].reverse())).toEqual(f);
      }),
    );
  });
});
