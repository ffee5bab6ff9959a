import { describe, expect, it } from 'vitest';
import { ENGINE_ADDRESS, inProcessEngine, PCMU, read, rtp, TE } from './helpers.js';

describe('smoke', () => {
  it('relays', async () => {
    const { clock, net, engine } = await inProcessEngine();
    const a = await engine.createEndpoint({ codecs: [PCMU, TE], remote: { address: '10.0.0.2', port: 4000 } });
    const b = await engine.createEndpoint({ near: a, codecs: [PCMU, TE], remote: { address: '10.0.0.3', port: 5000 } });
    await engine.relay(a, b);
    const pa = net.open('10.0.0.2', 4000);
    const pb = net.open('10.0.0.3', 5000);
    for (let i = 0; i < 10; i++) {
      pa.send(rtp(0, 100 + i, 1000 + 160 * i, 0xabc, new Uint8Array(160).fill(i)), a.local.rtpPort, ENGINE_ADDRESS);
      await clock.advanceAsync(20);
    }
    const got = pb.received.filter((d) => d.data[1] !== undefined && (d.data[1] as number) < 192).map((d) => read(d.data));
    console.log(got.map((g) => [g.ssrc, g.seq, g.ts, g.marker]));
    expect(got.length).toBe(10);
    await engine.close();
  });
});
