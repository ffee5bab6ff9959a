import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileDialPattern, createDialPlan, type DialRoute } from '../../src/switch/index.js';

describe('dial patterns', () => {
  it.each([
    ['9196', ['9196'], ['919', '91960', '9197']],
    ['9XXXXXXX', ['90000000', '95551234'], ['9555123', '955512345', '8555123X']],
    ['NXXNXXXXXX', ['2125551234'], ['1125551234', '2121551234']],
    ['1Z', ['11', '19'], ['10', '1']],
    ['[15-7]00', ['100', '500', '700'], ['200', '800']],
    ['0.', ['01', '0044207'], ['0']],
    ['0!', ['0', '01'], ['1']],
    ['*72X.', ['*7212', '*72100'], ['*721', '#7212']],
    ['+1NXX', ['+1212'], ['1212']],
  ])('%s matches %j and not %j', (pattern, yes, no) => {
    const re = compileDialPattern(pattern);
    for (const n of yes) expect(re.test(n), n).toBe(true);
    for (const n of no) expect(re.test(n), n).toBe(false);
  });

  it.each([
    ['', /non-empty/],
    ['9.1', /may only end/],
    ['[12', /without/],
    ['[a]', /bad set/],
    ['[5-1]', /backwards/],
    ['9Q', /at 2: unexpected "Q"/],
  ])('rejects the pattern %j', (pattern, message) => {
    expect(() => compileDialPattern(pattern)).toThrow(message);
    try {
      compileDialPattern(pattern);
    } catch (err) {
      expect((err as { code: string }).code).toBe('ERR_INVALID_ARGUMENT');
    }
  });

  it('a pattern of X matches exactly the digit strings of its length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.string({ unit: fc.constantFrom(...'0123456789*#'), maxLength: 14 }),
        (len, n) => {
          expect(compileDialPattern('X'.repeat(len)).test(n)).toBe(n.length === len && /^[0-9]*$/.test(n));
        },
      ),
    );
  });
});

describe('dial plan', () => {
  const routes: DialRoute[] = [
    { match: { kind: 'exact', value: '9196' }, target: { kind: 'application', application: 'echo' } },
    { match: { kind: 'exact', value: '9000' }, target: { kind: 'queue', queue: 'demo' } },
    {
      name: 'national',
      match: { kind: 'pattern', value: '9NXXXXXXXXX' },
      target: { kind: 'trunk', trunk: 'carrier' },
      strip: 1,
      prepend: '+1',
    },
    { match: { kind: 'prefix', value: '8' }, target: { kind: 'extension', extension: '1001' }, strip: 1 },
    {
      match: { kind: 'regex', value: '55(\\d{2})' },
      target: { kind: 'extension', extension: '1002' },
      from: 'trunks',
    },
    {
      match: { kind: 'regex', value: '77.*' },
      target: { kind: 'extension', extension: '1003' },
      from: 'any',
    },
  ];
  const plan = createDialPlan(routes);

  it('takes the first matching route and strips and prepends digits', () => {
    expect(plan.route('9196')).toMatchObject({ index: 0, number: '9196', target: { application: 'echo' } });
    expect(plan.route('92125551234')).toMatchObject({ index: 2, number: '+12125551234' });
    expect(plan.route('8123')).toMatchObject({ index: 3, number: '123' });
    expect(plan.route('12345')).toBeUndefined();
  });

  it('a regex must match the whole number, and routes apply only to their callers', () => {
    expect(plan.route('5512', 'trunks')?.index).toBe(4);
    expect(plan.route('5512', 'users')).toBeUndefined();
    expect(plan.route('55123', 'trunks')).toBeUndefined();
    expect(plan.route('9196', 'trunks')).toBeUndefined();
    expect(plan.route('771', 'trunks')?.index).toBe(5);
    expect(plan.route('771', 'users')?.index).toBe(5);
  });

  it('names the route of a bad match', () => {
    expect(() =>
      createDialPlan([
        routes[0] as DialRoute,
        { ...(routes[0] as DialRoute), match: { kind: 'regex', value: '(' } },
      ]),
    ).toThrow(/routes\[1\]: regex/);
  });
});
