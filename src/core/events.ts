import { channel } from 'node:diagnostics_channel';
import { CHANNELS } from './diagnostics.js';

/** An event map: event name → tuple of listener arguments. */
// biome-ignore lint/suspicious/noExplicitAny: listener argument tuples are arbitrary
export type EventMap = { [event: string]: any[] };

type Listener<A extends unknown[]> = (...args: A) => void;
// biome-ignore lint/suspicious/noExplicitAny: stored listeners are untyped; the public methods type them
type AnyListener = (...args: any[]) => void;

const listenerErrorChannel = channel(CHANNELS.listenerError);

/**
 * A small typed event emitter. `emit` is "safe": a listener that throws never
 * breaks the emitter or the other listeners. The error is delivered to
 * `listenererror` listeners if any, and always published on the
 * `strowger:listener-error` diagnostics channel.
 */
export class TypedEmitter<E extends { [K in keyof E]: unknown[] } = EventMap> {
  // created on first use: most emitters (a transaction, a dialog) never get most listeners
  #listeners: Map<keyof E, Array<{ fn: AnyListener; once: boolean }>> | undefined;
  #errorListeners: Array<(event: string, err: unknown) => void> | undefined;

  on<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.#add(event, listener, false);
    return this;
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    this.#add(event, listener, true);
    return this;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): this {
    const list = this.#listeners?.get(event);
    if (!list) return this;
    const i = list.findIndex((l) => l.fn === listener);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.#listeners?.delete(event);
    return this;
  }

  /** Listeners that receive errors thrown by other listeners. */
  onListenerError(listener: (event: string, err: unknown) => void): this {
    if (this.#errorListeners === undefined) this.#errorListeners = [];
    this.#errorListeners.push(listener);
    return this;
  }

  removeAllListeners(event?: keyof E): this {
    if (event === undefined) this.#listeners?.clear();
    else this.#listeners?.delete(event);
    return this;
  }

  listenerCount(event: keyof E): number {
    return this.#listeners?.get(event)?.length ?? 0;
  }

  /** Calls every listener of `event`; returns whether there was any. Never throws. */
  safeEmit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    const listeners = this.#listeners;
    const list = listeners?.get(event);
    if (!listeners || !list || list.length === 0) return false;
    if (list.length === 1) {
      // one listener (the common case): no snapshot of the list
      const l = list[0] as { fn: AnyListener; once: boolean };
      if (l.once) {
        list.length = 0;
        listeners.delete(event);
      }
      try {
        l.fn(...args);
      } catch (err) {
        this.#reportListenerError(String(event), err);
      }
      return true;
    }
    const snapshot = list.slice();
    for (const l of snapshot) {
      if (l.once) {
        const i = list.indexOf(l);
        if (i >= 0) list.splice(i, 1);
      }
      try {
        l.fn(...args);
      } catch (err) {
        this.#reportListenerError(String(event), err);
      }
    }
    if (list.length === 0 && listeners.get(event) === list) listeners.delete(event);
    return true;
  }

  /** Alias of {@link safeEmit}: emitting is always safe. */
  emit<K extends keyof E>(event: K, ...args: E[K]): boolean {
    return this.safeEmit(event, ...args);
  }

  #add(event: keyof E, fn: AnyListener, once: boolean): void {
    if (this.#listeners === undefined) this.#listeners = new Map();
    const listeners = this.#listeners;
    let list = listeners.get(event);
    if (!list) {
      list = [];
      listeners.set(event, list);
    }
    list.push({ fn, once });
  }

  #reportListenerError(event: string, err: unknown): void {
    if (listenerErrorChannel.hasSubscribers)
      listenerErrorChannel.publish({ emitter: this, event, error: err });
    for (const l of this.#errorListeners ?? []) {
      try {
        l(event, err);
      } catch {
        // an error reporter that throws is ignored: nothing may escape safeEmit
      }
    }
  }
}
