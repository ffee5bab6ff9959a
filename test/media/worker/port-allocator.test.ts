import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PortAllocator } from '../../../src/media/worker/port-allocator.js';

describe('PortAllocator', () => {
  it('hands out even RTP ports (RTCP is the odd one above) and reuses a released pair last', () => {
    const p = new PortAllocator({ min: 10001, max: 10010 });
    expect(p.pairs).toBe(4); // 10002..10009
    const got = [p.take(), p.take(), p.take()];
    expect(got).toEqual([10002, 10004, 10006]);
    p.release(10002);
    expect(p.take()).toBe(10008);
    expect(p.take()).toBe(10002);
    expect(() => p.take()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
  });

  it('rejects ranges without a pair or outside 1024..65535', () => {
    expect(() => new PortAllocator({ min: 10000, max: 10000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => new PortAllocator({ min: 80, max: 2000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
    expect(() => new PortAllocator({ min: 60000, max: 70000 })).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('property: no pair is handed out twice while in use, and inUse counts what is out', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 300 }), (ops) => {
        const p = new PortAllocator({ min: 20000, max: 20063 });
        const out = new Set<number>();
        for (const take of ops) {
          if (take && out.size < p.pairs) {
            const port = p.take();
            if (out.has(port) || port % 2 !== 0 || port < 20000 || port > 20062) return false;
            out.add(port);
          } else if (out.size > 0) {
            const port = [...out][0] as number;
            out.delete(port);
            p.release(port);
            p.release(port); // twice: no effect
          }
          if (p.inUse !== out.size) return false;
        }
        return true;
      }),
    );
  });
});
