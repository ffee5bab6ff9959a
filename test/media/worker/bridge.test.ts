/**
 * Conference bridges through the engine's host API, with in-process workers
 * over a MemoryNetwork and a FakeClock: every phone sends its own tone in its
 * own codec, and who hears whom is read off the spectrum (Goertzel) of the
 * RTP each phone receives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaBridge } from '../../../src/media/worker/index.js';
import { goertzelAmplitude } from '../helpers/signal.js';
import {
  type ConferencePhone,
  conferencePhone,
  hearing,
  lastHeard,
  run,
  whoHears,
} from './conference-helpers.js';
import { G722, inProcessEngine, OPUS, PCMA, PCMU, TE, type TestEngine, telephoneEvent } from './helpers.js';

let t: TestEngine | undefined;
afterEach(async () => {
  await t?.engine.close();
  t = undefined;
});

async function callCenter(sampleRate: 8000 | 16000 | 48000 = 8000) {
  t = await inProcessEngine();
  const bridge = await t.engine.createBridge({ sampleRate });
  const customer = await conferencePhone(t.net, t.engine, 'customer', 400, PCMU);
  const agent = await conferencePhone(t.net, t.engine, 'agent', 700, PCMU);
  const supervisor = await conferencePhone(t.net, t.engine, 'supervisor', 1000, PCMU);
  await bridge.add(customer.endpoint);
  await bridge.add(agent.endpoint);
  return { bridge, customer, agent, supervisor, all: [customer, agent, supervisor] };
}

describe('bridge: who hears whom (RTP in, RTP out, Goertzel on what each phone receives)', () => {
  it('a normal conference of four: everyone hears everyone else and never itself', async () => {
    t = await inProcessEngine();
    const bridge = await t.engine.createBridge();
    const phones: ConferencePhone[] = [];
    for (const [name, f] of [
      ['a', 400],
      ['b', 700],
      ['c', 1000],
      ['d', 1300],
    ] as const) {
      const p = await conferencePhone(t.net, t.engine, name, f, PCMU);
      await bridge.add(p.endpoint);
      phones.push(p);
    }
    await run(t.clock, phones, 40);
    expect(hearing(phones)).toEqual({
      a: ['b', 'c', 'd'],
      b: ['a', 'c', 'd'],
      c: ['a', 'b', 'd'],
      d: ['a', 'b', 'c'],
    });
    expect(bridge.size).toBe(4);
  });

  it('listen: the supervisor hears agent and customer, nobody hears the supervisor', async () => {
    const c = await callCenter();
    await c.bridge.add(c.supervisor.endpoint, { mode: 'listen' });
    await run(t!.clock, c.all, 40);
    expect(hearing(c.all)).toEqual({
      customer: ['agent'],
      agent: ['customer'],
      supervisor: ['agent', 'customer'],
    });
  });

  it('whisper: the supervisor is heard by the agent only', async () => {
    const c = await callCenter();
    await c.bridge.add(c.supervisor.endpoint, { mode: 'whisper', whisperTo: c.agent.endpoint });
    await run(t!.clock, c.all, 40);
    expect(hearing(c.all)).toEqual({
      customer: ['agent'],
      agent: ['customer', 'supervisor'],
      supervisor: ['agent', 'customer'],
    });
  });

  it('barge: everyone hears everyone', async () => {
    const c = await callCenter();
    await c.bridge.add(c.supervisor.endpoint, { mode: 'barge' });
    await run(t!.clock, c.all, 40);
    expect(hearing(c.all)).toEqual({
      customer: ['agent', 'supervisor'],
      agent: ['customer', 'supervisor'],
      supervisor: ['agent', 'customer'],
    });
  });

  it('modes change on a live call: listen → whisper → barge → listen, each from the next tick', async () => {
    const c = await callCenter();
    const sup = c.supervisor.endpoint;
    await c.bridge.add(sup, { mode: 'listen' });
    await run(t!.clock, c.all, 30);
    expect(whoHears(c.agent, c.all, 200)).toEqual(['customer']);
    await c.bridge.update(sup, { mode: 'whisper', whisperTo: c.agent.endpoint });
    await run(t!.clock, c.all, 20);
    expect(whoHears(c.agent, c.all, 200)).toEqual(['customer', 'supervisor']);
    expect(whoHears(c.customer, c.all, 200)).toEqual(['agent']);
    await c.bridge.update(sup, { mode: 'barge' });
    await run(t!.clock, c.all, 20);
    expect(whoHears(c.customer, c.all, 200)).toEqual(['agent', 'supervisor']);
    await c.bridge.update(sup, { mode: 'listen' });
    await run(t!.clock, c.all, 20);
    expect(hearing(c.all, 200)).toEqual({
      customer: ['agent'],
      agent: ['customer'],
      supervisor: ['agent', 'customer'],
    });
    expect(c.bridge.memberOptions(sup)).toMatchObject({ mode: 'listen' });
  });

  for (const rate of [16000, 48000] as const) {
    it(`mixes at ${rate} Hz with a different codec per member (PCMU, PCMA, G.722, Opus), each transcoded`, async () => {
      t = await inProcessEngine();
      const bridge = await t.engine.createBridge({ sampleRate: rate });
      const phones = [
        await conferencePhone(t.net, t.engine, 'ulaw', 400, PCMU),
        await conferencePhone(t.net, t.engine, 'alaw', 700, PCMA),
        await conferencePhone(t.net, t.engine, 'g722', 1000, G722),
        await conferencePhone(t.net, t.engine, 'opus', 1300, OPUS),
      ];
      for (const p of phones) await bridge.add(p.endpoint);
      await run(t.clock, phones, 50);
      expect(hearing(phones)).toEqual({
        ulaw: ['alaw', 'g722', 'opus'],
        alaw: ['g722', 'opus', 'ulaw'],
        g722: ['alaw', 'opus', 'ulaw'],
        opus: ['alaw', 'g722', 'ulaw'],
      });
    });
  }

  it('mute: nobody hears the member; deaf: the member hears nothing; gains scale', async () => {
    const c = await callCenter();
    await c.bridge.add(c.supervisor.endpoint);
    await c.bridge.update(c.customer.endpoint, { muted: true });
    await c.bridge.update(c.supervisor.endpoint, { deaf: true });
    await run(t!.clock, c.all, 40);
    expect(hearing(c.all)).toEqual({
      customer: ['agent', 'supervisor'],
      agent: ['supervisor'],
      supervisor: [],
    });
    await c.bridge.update(c.customer.endpoint, { muted: false, gainIn: 0.5 });
    await c.bridge.update(c.supervisor.endpoint, { deaf: false });
    await run(t!.clock, c.all, 30);
    const atAgent = lastHeard(c.agent, 200);
    const customer = goertzelAmplitude(atAgent, 400, 8000);
    const supervisor = goertzelAmplitude(atAgent, 1000, 8000);
    expect(customer / supervisor).toBeGreaterThan(0.45);
    expect(customer / supervisor).toBeLessThan(0.55);
  });

  it('reports talking and silent per member (energy with hang-over)', async () => {
    const c = await callCenter();
    const events: string[] = [];
    c.bridge.on('talking', (ep) => events.push(`talking:${ep === c.agent.endpoint ? 'agent' : 'customer'}`));
    c.bridge.on('silent', (ep) => events.push(`silent:${ep === c.agent.endpoint ? 'agent' : 'customer'}`));
    c.customer.talking = false;
    await run(t!.clock, [c.customer, c.agent], 20);
    expect(events).toEqual(['talking:agent']);
    c.agent.talking = false;
    await run(t!.clock, [c.customer, c.agent], 10); // 200 ms: inside the 400 ms hang-over
    expect(events).toEqual(['talking:agent']);
    await run(t!.clock, [c.customer, c.agent], 20);
    expect(events).toEqual(['talking:agent', 'silent:agent']);
  });
});

describe('bridge: playback, barge-in and membership', () => {
  it('plays a tone to every member, mixed with the conference', async () => {
    const c = await callCenter();
    const events: string[] = [];
    c.bridge.on('playing', () => events.push('playing'));
    c.bridge.on('played', (r) => events.push(`played:${r.reason}`));
    const playing = c.bridge.play({ tone: 'dial', region: 'itu', durationMs: 1000 });
    await run(t!.clock, [c.customer, c.agent], 30);
    for (const p of [c.customer, c.agent]) {
      expect(goertzelAmplitude(lastHeard(p, 200), 425, 8000)).toBeGreaterThan(500);
    }
    expect(whoHears(c.customer, [c.agent], 200)).toEqual(['agent']);
    await run(t!.clock, [c.customer, c.agent], 30);
    expect(await playing).toEqual({ completed: true, reason: 'completed', playedMs: 1000 });
    expect(events).toEqual(['playing', 'played:completed']);
  });

  it('a DTMF digit from any member barges in on a bridge playback (bargeIn)', async () => {
    t = await inProcessEngine();
    const bridge = await t.engine.createBridge();
    const a = await conferencePhone(t.net, t.engine, 'a', 400, PCMU, { te: TE });
    const b = await conferencePhone(t.net, t.engine, 'b', 700, PCMU, { te: TE });
    await bridge.add(a.endpoint);
    await bridge.add(b.endpoint);
    const started = new Promise<void>((r) => bridge.once('playing', () => r()));
    const playing = bridge.play(['please-hold', 'please-hold'], { bargeIn: true });
    await started; // the prompts are read from disk first
    await run(t.clock, [a, b], 10);
    b.phone.send(b.endpoint.local.rtpPort, 101, telephoneEvent(5, false, 160), { marker: true, tsStep: 0 });
    await t.clock.advanceAsync(20);
    const r = await playing;
    expect(r).toMatchObject({ completed: false, reason: 'barge-in', digit: '5' });
    expect(r.playedMs).toBeGreaterThan(150);
    expect(r.playedMs).toBeLessThan(400);
  });

  it('remove() and endpoint.close() take members out; close() returns members to idle for reuse', async () => {
    const c = await callCenter();
    await c.bridge.add(c.supervisor.endpoint);
    await c.bridge.remove(c.supervisor.endpoint);
    expect(c.supervisor.endpoint.bridge).toBeUndefined();
    await run(t!.clock, c.all, 30);
    expect(whoHears(c.customer, c.all, 200)).toEqual(['agent']);
    await c.agent.endpoint.close();
    expect(c.bridge.members).toEqual([c.customer.endpoint]);
    const ended: string[] = [];
    c.bridge.on('ended', (r) => ended.push(r));
    await c.bridge.close();
    await c.bridge.close();
    expect(ended).toEqual(['closed']);
    expect(c.customer.endpoint.bridge).toBeUndefined();
    const s = await t!.engine.relay(c.customer.endpoint, c.supervisor.endpoint);
    expect(s.kind).toBe('relay');
    expect(t!.engine.bridgeCount).toBe(0);
  });

  it('rejects bad requests with typed errors', async () => {
    const c = await callCenter();
    const e = t!.engine;
    await expect(e.createBridge({ sampleRate: 44100 as 8000 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(e.createBridge({ worker: 7 })).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    await expect(c.bridge.add(c.agent.endpoint)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(c.bridge.add(c.supervisor.endpoint, { gainIn: 9 })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(c.bridge.add(c.supervisor.endpoint, { mode: 'whisper' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    await expect(c.bridge.update(c.customer.endpoint, { whisperTo: c.agent.endpoint })).rejects.toMatchObject(
      {
        code: 'ERR_INVALID_ARGUMENT',
      },
    );
    await expect(c.bridge.add(c.supervisor.endpoint, { mode: 'loud' as 'listen' })).rejects.toMatchObject({
      code: 'ERR_INVALID_ARGUMENT',
    });
    const other = await e.createEndpoint({ codecs: [PCMU] });
    const peer = await e.createEndpoint({ codecs: [PCMU], near: other });
    await e.relay(other, peer);
    await expect(c.bridge.add(other)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    await expect(e.relay(c.agent.endpoint, c.customer.endpoint)).rejects.toMatchObject({
      code: 'ERR_INVALID_STATE',
    });
    const mute = await e.createEndpoint({});
    await expect(c.bridge.add(mute)).rejects.toMatchObject({ code: 'ERR_INVALID_STATE' });
    expect(mute.bridge).toBeUndefined();
    await expect(c.bridge.play(['no-such-prompt'])).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    // the supervisor was never half-added
    expect(c.bridge.has(c.supervisor.endpoint)).toBe(false);
    await c.bridge.add(c.supervisor.endpoint, { mode: 'listen' });
    await c.bridge.close();
    await expect(c.bridge.add(mute)).rejects.toMatchObject({ code: 'ERR_CLOSED' });
  });
});

describe('bridge across two workers (FrameRing over SharedArrayBuffer)', () => {
  async function split(): Promise<{ bridge: MediaBridge; phones: ConferencePhone[] }> {
    t = await inProcessEngine({ workers: 2 });
    const bridge = await t.engine.createBridge({ worker: 0 });
    const phones: ConferencePhone[] = [];
    for (const [name, f] of [
      ['a', 400],
      ['b', 700],
      ['c', 1000],
      ['d', 1300],
    ] as const) {
      // least loaded: a and c land in one worker, b and d in the other
      const p = await conferencePhone(t.net, t.engine, name, f, PCMU);
      await bridge.add(p.endpoint);
      phones.push(p);
    }
    return { bridge, phones };
  }

  it('members in two workers hear everyone else and never themselves', async () => {
    const { bridge, phones } = await split();
    expect(new Set(phones.map((p) => p.endpoint.workerIndex))).toEqual(new Set([0, 1]));
    expect(bridge.workers.sort()).toEqual([0, 1]);
    await run(t!.clock, phones, 50);
    expect(hearing(phones)).toEqual({
      a: ['b', 'c', 'd'],
      b: ['a', 'c', 'd'],
      c: ['a', 'b', 'd'],
      d: ['a', 'b', 'c'],
    });
    const stats = await bridge.getStats();
    expect(stats.map((s) => [s.workerIndex, s.members, s.links.length]).sort()).toEqual([
      [0, 2, 1],
      [1, 2, 1],
    ]);
    for (const s of stats) expect(s.links[0]?.underruns).toBe(0);
    // `near: bridge` places a new member in the home worker
    for (let i = 0; i < 3; i++) {
      const ep = await t!.engine.createEndpoint({ codecs: [PCMU], near: bridge });
      expect(ep.workerIndex).toBe(bridge.workerIndex);
    }
  });

  it('a listener in the other worker hears both halves and is heard by nobody; whisper across workers is refused', async () => {
    const { bridge, phones } = await split();
    const [a, b] = phones as [ConferencePhone, ConferencePhone];
    await bridge.update(b.endpoint, { mode: 'listen' });
    await run(t!.clock, phones, 40);
    expect(whoHears(a, phones)).toEqual(['c', 'd']);
    expect(whoHears(b, phones)).toEqual(['a', 'c', 'd']);
    await expect(bridge.update(b.endpoint, { mode: 'whisper', whisperTo: a.endpoint })).rejects.toMatchObject(
      {
        code: 'ERR_INVALID_STATE',
      },
    );
  });

  it('the home worker dying ends the bridge; the members elsewhere stay open and idle', async () => {
    const { bridge, phones } = await split();
    const ended: string[] = [];
    bridge.on('ended', (r) => ended.push(r));
    await run(t!.clock, phones, 5);
    await t!.engine.terminateWorker(0);
    await t!.clock.advanceAsync(0);
    await t!.clock.advanceAsync(0);
    expect(ended).toEqual(['worker-died']);
    const survivors = phones.filter((p) => p.endpoint.workerIndex === 1);
    expect(survivors.every((p) => !p.endpoint.closed && p.endpoint.bridge === undefined)).toBe(true);
    expect(phones.filter((p) => p.endpoint.workerIndex === 0).every((p) => p.endpoint.closed)).toBe(true);
    // they can be connected again
    const [x, y] = survivors as [ConferencePhone, ConferencePhone];
    await t!.engine.relay(x.endpoint, y.endpoint);
  });

  it('another worker dying takes its members out; the bridge carries on', async () => {
    const { bridge, phones } = await split();
    const ended: string[] = [];
    bridge.on('ended', (r) => ended.push(r));
    await run(t!.clock, phones, 5);
    await t!.engine.terminateWorker(1);
    await t!.clock.advanceAsync(0);
    await t!.clock.advanceAsync(0);
    expect(ended).toEqual([]);
    const home = phones.filter((p) => p.endpoint.workerIndex === 0);
    expect(bridge.members).toEqual(home.map((p) => p.endpoint));
    expect(bridge.workers).toEqual([0]);
    for (const p of home) p.heard.length = 0;
    await run(t!.clock, home, 30);
    const [x, y] = home as [ConferencePhone, ConferencePhone];
    expect(whoHears(x, phones, 200)).toEqual([y.name]);
    expect(whoHears(y, phones, 200)).toEqual([x.name]);
  });
});
