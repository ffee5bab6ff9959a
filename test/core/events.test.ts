import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { CHANNELS, TypedEmitter } from '../../src/core/index.js';

type Events = { ringing: [code: number]; ended: [reason: string, by: 'local' | 'remote'] };

describe('TypedEmitter', () => {
  it('delivers typed arguments, once() fires once, off() removes', () => {
    const e = new TypedEmitter<Events>();
    const got: unknown[] = [];
    const l = (r: string, by: 'local' | 'remote') => got.push([r, by]);
    e.on('ended', l);
    e.once('ringing', (c) => got.push(c));
    expect(e.emit('ringing', 180)).toBe(true);
    expect(e.emit('ringing', 183)).toBe(false);
    e.emit('ended', 'bye', 'remote');
    e.off('ended', l);
    e.emit('ended', 'again', 'local');
    expect(got).toEqual([180, ['bye', 'remote']]);
  });

  it('a throwing listener breaks neither the emitter nor the other listeners', () => {
    const e = new TypedEmitter<Events>();
    const errors: unknown[] = [];
    const published: unknown[] = [];
    const sub = (m: unknown) => published.push(m);
    subscribe(CHANNELS.listenerError, sub);
    e.onListenerError((_ev, err) => errors.push(err));
    let second = 0;
    e.on('ringing', () => {
      throw new Error('boom');
    });
    e.on('ringing', () => second++);
    expect(() => e.safeEmit('ringing', 180)).not.toThrow();
    expect(second).toBe(1);
    expect(errors).toHaveLength(1);
    expect(published).toHaveLength(1);
    unsubscribe(CHANNELS.listenerError, sub);
  });

  it('a lone listener: a throw is reported, a once listener may re-arm itself, listeners added while emitting wait for the next emit', () => {
    const e = new TypedEmitter<Events>();
    const errors: unknown[] = [];
    e.onListenerError((_ev, err) => errors.push(err));
    e.on('ended', () => {
      throw new Error('alone');
    });
    expect(e.safeEmit('ended', 'x', 'local')).toBe(true);
    expect(errors).toHaveLength(1);
    const got: number[] = [];
    const again = (c: number) => {
      got.push(c);
      if (c < 182) e.once('ringing', again);
    };
    e.once('ringing', again);
    for (const c of [180, 181, 182, 183]) e.emit('ringing', c);
    expect(got).toEqual([180, 181, 182]);
    expect(e.listenerCount('ringing')).toBe(0);
    // several listeners: the one added during the emit runs from the next emit on
    const order: string[] = [];
    e.on('ringing', () => {
      order.push('a');
      if (order.length === 1) e.on('ringing', () => order.push('c'));
    });
    e.on('ringing', () => order.push('b'));
    e.emit('ringing', 180);
    e.emit('ringing', 180);
    expect(order).toEqual(['a', 'b', 'a', 'b', 'c']);
    // an emitter that never had a listener
    const quiet = new TypedEmitter<Events>();
    expect(quiet.emit('ringing', 1)).toBe(false);
    expect(quiet.listenerCount('ringing')).toBe(0);
    quiet.off('ringing', again).removeAllListeners();
  });
});
