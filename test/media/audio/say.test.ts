import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStrowgerError } from '../../../src/core/index.js';
import {
  isPromptName,
  MAX_SAY_NUMBER,
  type Playlist,
  sayCallerNumber,
  sayCallersAhead,
  sayDate,
  sayDigits,
  sayDuration,
  sayEstimatedWait,
  sayFor,
  sayMessageCount,
  sayNumber,
  sayOrdinal,
  sayPress,
  sayQueuePosition,
  sayTime,
} from '../../../src/media/audio/index.js';

const words = (p: Playlist) => p.join(' ');

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return isStrowgerError(err) ? err.code : 'untyped';
  }
  return 'no error';
}

/** An independent reader of English number words, to round-trip the helpers. */
const UNITS: Record<string, number> = {
  zero: 0,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
  thirteen: 13,
  fourteen: 14,
  fifteen: 15,
  sixteen: 16,
  seventeen: 17,
  eighteen: 18,
  nineteen: 19,
  twenty: 20,
  thirty: 30,
  forty: 40,
  fifty: 50,
  sixty: 60,
  seventy: 70,
  eighty: 80,
  ninety: 90,
};
const ORDINALS: Record<string, string> = {
  first: 'one',
  second: 'two',
  third: 'three',
  fifth: 'five',
  eighth: 'eight',
  ninth: 'nine',
  twelfth: 'twelve',
  twentieth: 'twenty',
  thirtieth: 'thirty',
  fortieth: 'forty',
  fiftieth: 'fifty',
  sixtieth: 'sixty',
  seventieth: 'seventy',
  eightieth: 'eighty',
  ninetieth: 'ninety',
  hundredth: 'hundred',
  thousandth: 'thousand',
  millionth: 'million',
};
function cardinalOf(ordinalWord: string): string {
  return ORDINALS[ordinalWord] ?? ordinalWord.replace(/th$/, '');
}
function readNumber(list: readonly string[]): number {
  let sign = 1;
  let total = 0;
  let current = 0;
  for (const w of list) {
    if (w === 'minus') sign = -1;
    else if (w === 'and') continue;
    else if (w === 'hundred') current *= 100;
    else if (w === 'thousand') {
      total += current * 1000;
      current = 0;
    } else if (w === 'million') {
      total += current * 1_000_000;
      current = 0;
    } else if (w in UNITS) current += UNITS[w] as number;
    else throw new Error(`not a number word: ${w}`);
  }
  return sign * (total + current);
}

describe('sayNumber', () => {
  const cases: Array<[number, string]> = [
    [0, 'zero'],
    [7, 'seven'],
    [13, 'thirteen'],
    [20, 'twenty'],
    [21, 'twenty one'],
    [99, 'ninety nine'],
    [100, 'one hundred'],
    [101, 'one hundred one'],
    [110, 'one hundred ten'],
    [999, 'nine hundred ninety nine'],
    [1000, 'one thousand'],
    [1001, 'one thousand one'],
    [1010, 'one thousand ten'],
    [12_345, 'twelve thousand three hundred forty five'],
    [100_000, 'one hundred thousand'],
    [1_000_000, 'one million'],
    [1_000_001, 'one million one'],
    [20_000_300, 'twenty million three hundred'],
    [
      999_999_999,
      'nine hundred ninety nine million nine hundred ninety nine thousand nine hundred ninety nine',
    ],
    [-42, 'minus forty two'],
  ];
  for (const [n, said] of cases) it(`says ${n} as "${said}"`, () => expect(words(sayNumber(n))).toBe(said));

  it('says "and" in British style when asked', () => {
    expect(words(sayNumber(105, { and: true }))).toBe('one hundred and five');
    expect(words(sayNumber(1005, { and: true }))).toBe('one thousand and five');
    expect(words(sayNumber(2_000_105, { and: true }))).toBe('two million one hundred and five');
    expect(words(sayNumber(300, { and: true }))).toBe('three hundred');
  });

  it('round-trips every number in range through an independent reader (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -MAX_SAY_NUMBER, max: MAX_SAY_NUMBER }), fc.boolean(), (n, and) => {
        expect(readNumber(sayNumber(n, { and }))).toBe(n);
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects what it cannot say', () => {
    for (const bad of [1_000_000_000, -1_000_000_000, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '7']) {
      expect(
        code(() => sayNumber(bad as number)),
        String(bad),
      ).toBe('ERR_INVALID_ARGUMENT');
    }
  });
});

describe('sayOrdinal', () => {
  const cases: Array<[number, string]> = [
    [1, 'first'],
    [2, 'second'],
    [3, 'third'],
    [11, 'eleventh'],
    [12, 'twelfth'],
    [20, 'twentieth'],
    [21, 'twenty first'],
    [42, 'forty second'],
    [100, 'one hundredth'],
    [101, 'one hundred first'],
    [1000, 'one thousandth'],
    [2019, 'two thousand nineteenth'],
    [1_000_000, 'one millionth'],
    [1_000_003, 'one million third'],
    [5_000_000, 'five millionth'],
  ];
  for (const [n, said] of cases) it(`says ${n} as "${said}"`, () => expect(words(sayOrdinal(n))).toBe(said));

  it('round-trips every ordinal in range (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: MAX_SAY_NUMBER }), (n) => {
        const list = sayOrdinal(n);
        const last = list[list.length - 1] as string;
        expect(readNumber([...list.slice(0, -1), cardinalOf(last)])).toBe(n);
        // exactly the last word is an ordinal
        expect(list.slice(0, -1).every((w) => !(w in ORDINALS) && !w.endsWith('th'))).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('rejects zero and negatives', () => {
    expect(code(() => sayOrdinal(0))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => sayOrdinal(-3))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('durations, times and dates', () => {
  it('says durations with units in the right number and "and" before the last part', () => {
    expect(words(sayDuration(150))).toBe('two minutes and thirty seconds');
    expect(words(sayDuration(60))).toBe('one minute');
    expect(words(sayDuration(61))).toBe('one minute and one second');
    expect(words(sayDuration(3600))).toBe('one hour');
    expect(words(sayDuration(3725))).toBe('one hour two minutes and five seconds');
    expect(words(sayDuration(7201))).toBe('two hours and one second');
    expect(words(sayDuration(0))).toBe('zero seconds');
    expect(words(sayDuration(5400, { largest: 'minutes' }))).toBe('ninety minutes');
    expect(words(sayDuration(75, { largest: 'seconds' }))).toBe('seventy five seconds');
    expect(code(() => sayDuration(-1))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('says times on a 12-hour clock', () => {
    expect(words(sayTime({ hours: 14, minutes: 5 }))).toBe('two oh five p-m');
    expect(words(sayTime({ hours: 9, minutes: 0 }))).toBe('nine o-clock a-m');
    expect(words(sayTime({ hours: 12, minutes: 0 }))).toBe('noon');
    expect(words(sayTime({ hours: 0, minutes: 0 }))).toBe('midnight');
    expect(words(sayTime({ hours: 0, minutes: 15 }))).toBe('twelve fifteen a-m');
    expect(words(sayTime({ hours: 12, minutes: 30 }))).toBe('twelve thirty p-m');
    expect(words(sayTime('23:59'))).toBe('eleven fifty nine p-m');
  });

  it('says times on a 24-hour clock', () => {
    expect(words(sayTime({ hours: 14, minutes: 0 }, { clock: 24 }))).toBe('fourteen hundred');
    expect(words(sayTime({ hours: 14, minutes: 5 }, { clock: 24 }))).toBe('fourteen oh five');
    expect(words(sayTime('00:30', { clock: 24 }))).toBe('zero thirty');
    for (const bad of ['24:00', '12:60', '7', 'noon']) {
      expect(
        code(() => sayTime(bad)),
        bad,
      ).toBe('ERR_INVALID_ARGUMENT');
    }
    expect(code(() => sayTime({ hours: 1.5, minutes: 0 }))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('says dates', () => {
    expect(words(sayDate({ weekday: 1, month: 3, day: 2, year: 2026 }))).toBe(
      'monday march second twenty twenty six',
    );
    expect(words(sayDate({ month: 12, day: 31 }))).toBe('december thirty first');
    expect(words(sayDate({ month: 7, day: 4, year: 2005 }))).toBe('july fourth two thousand five');
    expect(words(sayDate({ month: 1, day: 1, year: 2000 }))).toBe('january first two thousand');
    expect(words(sayDate({ month: 1, day: 1, year: 1905 }))).toBe('january first nineteen oh five');
    expect(words(sayDate({ month: 1, day: 1, year: 1900 }))).toBe('january first nineteen hundred');
    expect(code(() => sayDate({ month: 13, day: 1 }))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => sayDate({ month: 1, day: 1, weekday: 7 }))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('call-center phrases', () => {
  it('tells a caller their position and wait', () => {
    expect(words(sayCallerNumber(3))).toBe('you-are-caller-number three');
    expect(words(sayQueuePosition(3))).toBe('you-are third in-line');
    expect(words(sayCallersAhead(0))).toBe('there-are no callers-ahead-of-you');
    expect(words(sayCallersAhead(1))).toBe('there-is one caller-ahead-of-you');
    expect(words(sayCallersAhead(4))).toBe('there-are four callers-ahead-of-you');
    expect(words(sayEstimatedWait(30))).toBe('your-estimated-wait-time-is less-than one minute');
    expect(words(sayEstimatedWait(61))).toBe('your-estimated-wait-time-is about two minutes');
    expect(words(sayEstimatedWait(120))).toBe('your-estimated-wait-time-is about two minutes');
    expect(words(sayEstimatedWait(5000))).toBe('your-estimated-wait-time-is more-than sixty minutes');
    expect(words(sayEstimatedWait(90, { cap: 60 }))).toBe('your-estimated-wait-time-is more-than one minute');
    expect(code(() => sayCallerNumber(0))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => sayEstimatedWait(-5))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('reads menus and message counts', () => {
    expect(words(sayPress('1', 'to-leave-a-callback'))).toBe('press one to-leave-a-callback');
    expect(words(sayFor('sales', '2'))).toBe('for sales press two');
    expect(words(sayFor(['customer-service'], '#'))).toBe('for customer-service press pound');
    expect(words(sayMessageCount(3, 'new'))).toBe('you-have three new messages');
    expect(words(sayMessageCount(1))).toBe('you-have one message');
    expect(words(sayMessageCount(0, 'old'))).toBe('you-have no old messages');
    expect(code(() => sayPress('12'))).toBe('ERR_INVALID_ARGUMENT');
  });

  it('reads digit strings, skipping phone-number punctuation', () => {
    expect(words(sayDigits('0800-12#'))).toBe('zero eight zero zero one two pound');
    expect(words(sayDigits('*72', { hash: 'hash' }))).toBe('star seven two');
    expect(words(sayDigits('#', { hash: 'hash' }))).toBe('hash');
    expect(words(sayDigits('+1 (555) 010'))).toBe('plus one five five five zero one zero');
    expect(words(sayDigits('AB7'))).toBe('letter-a letter-b seven');
    expect(words(sayDigits('jo@x.io'))).toBe('letter-j letter-o at letter-x dot letter-i letter-o');
    expect(sayDigits('')).toEqual([]);
    expect(code(() => sayDigits('12!'))).toBe('ERR_INVALID_ARGUMENT');
    expect(code(() => sayDigits(12 as unknown as string))).toBe('ERR_INVALID_ARGUMENT');
  });
});

describe('every playlist names catalogue prompts only', () => {
  it('for any input the helpers accept (fast-check)', () => {
    const playlist = fc.oneof(
      fc
        .integer({ min: -MAX_SAY_NUMBER, max: MAX_SAY_NUMBER })
        .map((n) => sayNumber(n, { and: n % 2 === 0 })),
      fc.integer({ min: 1, max: MAX_SAY_NUMBER }).map((n) => sayOrdinal(n)),
      fc.integer({ min: 0, max: 10_000_000 }).map((s) => sayDuration(s)),
      fc
        .record({ hours: fc.integer({ min: 0, max: 23 }), minutes: fc.integer({ min: 0, max: 59 }) })
        .chain((t) => fc.constantFrom(sayTime(t), sayTime(t, { clock: 24 }))),
      fc
        .record({
          month: fc.integer({ min: 1, max: 12 }),
          day: fc.integer({ min: 1, max: 31 }),
          weekday: fc.integer({ min: 0, max: 6 }),
          year: fc.integer({ min: 1000, max: 2999 }),
        })
        .map((d) => sayDate(d)),
      fc.integer({ min: 1, max: 100_000 }).map((n) => sayCallerNumber(n)),
      fc.integer({ min: 1, max: 100_000 }).map((n) => sayQueuePosition(n)),
      fc.integer({ min: 0, max: 100_000 }).map((n) => sayCallersAhead(n)),
      fc.double({ min: 0, max: 20_000, noNaN: true }).map((s) => sayEstimatedWait(s)),
      fc.integer({ min: 0, max: 1000 }).map((n) => sayMessageCount(n, n % 2 ? 'new' : 'old')),
      fc.stringMatching(/^[0-9*#+A-Za-z .@()-]{0,20}$/).map((s) => sayDigits(s)),
    );
    fc.assert(
      fc.property(playlist, (list) => {
        for (const name of list) expect(isPromptName(name), name).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
