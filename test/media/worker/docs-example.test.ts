/**
 * The quick start of docs/media-engine.md, run as written (with in-process
 * workers on a MemoryNetwork instead of threads, and an SDP offer/answer
 * standing in for the signalling).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dbToGain } from '../../../src/media/mixer/index.js';
import { endpointOptionsFromStream } from '../../../src/media/worker/index.js';
import { createAnswer, createOffer, negotiatedSession } from '../../../src/sdp/index.js';
import { inProcessEngine, PCMU, Phone } from './helpers.js';

describe('docs/media-engine.md quick start', () => {
  it('answers a call, connects a second leg, plays, sends DTMF and closes everything', async () => {
    const { engine, clock, net } = await inProcessEngine({ workers: 2 });
    // the caller's offer: Opus and PCMU with telephone-event
    const offer = createOffer({
      address: '10.0.0.7',
      media: [
        {
          port: 7000,
          codecs: [
            { encodingName: 'opus', clockRate: 48000, channels: 2 },
            { encodingName: 'PCMU', clockRate: 8000 },
          ],
          telephoneEvent: true,
        },
      ],
    });

    // inbound leg: create it, put its port in our answer, feed it what negotiation produced
    const a = await engine.createEndpoint();
    const answer = createAnswer(offer, {
      address: a.local.address,
      media: [
        { port: a.local.rtpPort, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }], telephoneEvent: true },
      ],
    });
    const negotiated = negotiatedSession(offer, answer, 'answerer');
    const [stream] = negotiated.streams;
    if (!stream) throw new Error('no m= line negotiated');
    await a.update(endpointOptionsFromStream(stream));

    // outbound leg in the same worker, towards a G.711 A-law phone
    const codecs = [{ encodingName: 'PCMA', clockRate: 8000, payloadType: 8 }];
    const b = await engine.createEndpoint({ near: a, codecs, remote: { address: '10.0.0.8', port: 8000 } });
    const session = await engine.connect(a, b); // relay if same codec, else transcode
    expect(session.kind).toBe('transcode');

    const caller = new Phone(net, '10.0.0.7', 7000);
    const callee = new Phone(net, '10.0.0.8', 8000);
    const playing = b.play({ tone: 'ringback', region: 'uk', durationMs: 200 });
    const dtmf = a.sendDtmf('12');
    await clock.advanceAsync(1500);
    expect(await playing).toMatchObject({ completed: true, reason: 'completed' });
    expect(await dtmf).toEqual({ sent: 2, mode: 'rfc4733' });
    expect(callee.rtp().length).toBeGreaterThan(50);
    expect(caller.rtp().filter((p) => p.pt === 101).length).toBeGreaterThanOrEqual(8);

    await session.close(); // disconnects; endpoints stay open
    expect(a.closed || b.closed).toBe(false);
    await a.close(); // RTCP BYE, sockets closed
    await engine.close(); // every endpoint, every worker
    expect(b.closed).toBe(true);
    expect(net.boundCount).toBe(4); // only the two phones' sockets
  });
});

describe('docs/media-engine.md conference bridges', () => {
  it('runs the example as written (paths in a temporary directory)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strowger-docs-'));
    const { engine, clock } = await inProcessEngine();
    const leg = (n: number) =>
      engine.createEndpoint({ codecs: [PCMU], remote: { address: `10.0.9.${n}`, port: 4000 } });
    const [customer, agent, supervisor] = [await leg(1), await leg(2), await leg(3)];

    const bridge = await engine.createBridge({ sampleRate: 16000 }); // 8000 (default) | 16000 | 48000
    await bridge.add(customer); // endpoints: idle (not in a session or another bridge)
    await bridge.add(agent);
    await bridge.add(supervisor, { mode: 'listen' }); // silent monitoring
    await bridge.update(supervisor, { mode: 'whisper', whisperTo: agent }); // coaching
    await bridge.update(supervisor, { mode: 'barge' }); // joins openly
    await bridge.update(customer, { muted: true, gainOut: dbToGain(3) });
    bridge.on('talking', () => {}); // 'silent' after the hang-over
    const started = new Promise((r) => bridge.once('playing', () => r(undefined)));
    const played = bridge.play(['please-hold', { tone: 'beep', region: 'us' }], { bargeIn: true }); // heard by all
    const rec = await bridge.record({
      path: join(dir, 'conf.wav'),
      stereo: { left: [customer], right: [agent] },
    });
    await started; // the prompt is read from disk first
    await clock.advanceAsync(4000);
    expect(await played).toMatchObject({ completed: true });
    await bridge.remove(supervisor); // back to idle, still open
    await bridge.close(); // members go back to idle
    expect((await rec.result).reason).toBe('closed');
    expect(existsSync(join(dir, 'conf.wav'))).toBe(true);
    expect(bridge.members).toEqual([]);
    expect(supervisor.closed || customer.closed).toBe(false);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
