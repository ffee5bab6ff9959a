import { describe, expect, it } from 'vitest';
import { compileBusinessHours } from '../../src/acd/index.js';
import { expectCode } from './helpers.js';

describe('business hours', () => {
  it('opens on the listed weekdays between open and close, local time', () => {
    const open = compileBusinessHours({
      timeZone: 'Europe/Paris',
      weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '17:30' }],
    });
    // Monday 5 Jan 2026: Paris is UTC+1
    expect(open(Date.UTC(2026, 0, 5, 7, 59))).toBe(false);
    expect(open(Date.UTC(2026, 0, 5, 8, 0))).toBe(true);
    expect(open(Date.UTC(2026, 0, 5, 16, 29))).toBe(true);
    expect(open(Date.UTC(2026, 0, 5, 16, 30))).toBe(false);
    // Saturday
    expect(open(Date.UTC(2026, 0, 10, 10, 0))).toBe(false);
    // Monday 6 July 2026: summer time, UTC+2
    expect(open(Date.UTC(2026, 6, 6, 7, 0))).toBe(true);
    expect(open(Date.UTC(2026, 6, 6, 6, 59))).toBe(false);
  });

  it('handles windows past midnight, 24:00 and closed dates', () => {
    const open = compileBusinessHours({
      weekly: [
        { days: [5], open: '22:00', close: '02:00' },
        { days: [0], open: '00:00', close: '24:00' },
      ],
      closedDates: ['2026-01-04'],
    });
    expect(open(Date.UTC(2026, 0, 9, 23, 0))).toBe(true); // Friday night
    expect(open(Date.UTC(2026, 0, 10, 1, 59))).toBe(true); // into Saturday
    expect(open(Date.UTC(2026, 0, 10, 2, 0))).toBe(false);
    expect(open(Date.UTC(2026, 0, 11, 23, 59))).toBe(true); // a Sunday open all day
    expect(open(Date.UTC(2026, 0, 4, 12, 0))).toBe(false); // a Sunday that is closed
  });

  it('names the bad field', () => {
    expectCode(
      () => compileBusinessHours({ weekly: [{ days: [7], open: '09:00', close: '10:00' }] }),
      'ERR_INVALID_ARGUMENT',
      /days/,
    );
    expectCode(
      () => compileBusinessHours({ weekly: [{ days: [1], open: '9:00', close: '10:00' }] }),
      'ERR_INVALID_ARGUMENT',
      /open/,
    );
    expectCode(
      () => compileBusinessHours({ weekly: [{ days: [1], open: '09:00', close: '24:30' }] }),
      'ERR_INVALID_ARGUMENT',
      /close/,
    );
    expectCode(
      () => compileBusinessHours({ weekly: [], closedDates: ['tomorrow'] }),
      'ERR_INVALID_ARGUMENT',
      /closedDates/,
    );
    expectCode(() => compileBusinessHours({ weekly: 'always' as never }), 'ERR_INVALID_ARGUMENT', /weekly/);
  });
});
