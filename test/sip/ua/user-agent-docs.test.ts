/** The quick start of docs/user-agent.md, on the loop network (real sockets there, the same calls here). */
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/index.js';
import { createUserAgent, LoopNetwork, SipResponseError } from '../../../src/sip/index.js';

describe('docs/user-agent.md quick start', () => {
  it('answers, calls, holds, unholds, hangs up, and reports a rejection', async () => {
    const clock = new FakeClock();
    const net = new LoopNetwork({ clock, latencyMs: 5 });
    const media = (address: string) => ({
      address,
      media: [{ port: 40000, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }], telephoneEvent: true }],
    });
    const pbx = createUserAgent({
      transports: [net.createTransport({ address: '203.0.113.5', port: 5060 })],
      clock,
      user: 'pbx',
      media: media('203.0.113.5'),
    });
    const alice = createUserAgent({
      transports: [net.createTransport({ address: '198.51.100.7', port: 5060 })],
      clock,
      media: media('198.51.100.7'),
    });
    const log: string[] = [];
    pbx.on('INVITE', (call) => {
      call.ring();
      call.answer();
      call.on('dtmf', ({ digit }) => log.push(`pressed ${digit}`));
      call.on('ended', ({ reason }) => log.push(`ended: ${reason}`));
    });
    alice.on('INVITE', (call) => call.reject(486));

    const [call] = await Promise.all([
      alice.invite('sip:pbx@203.0.113.5', {
        offer: media('198.51.100.7'),
        signal: AbortSignal.timeout(30_000),
      }),
      clock.advanceAsync(100),
    ]);
    expect(call.negotiated?.streams[0]?.codec).toMatchObject({ encodingName: 'PCMU', payloadType: 0 });
    await Promise.all([call.sendDtmf('7'), clock.advanceAsync(100)]);
    await Promise.all([call.hold(), clock.advanceAsync(100)]);
    await Promise.all([call.unhold(), clock.advanceAsync(100)]);
    await Promise.all([call.bye(), clock.advanceAsync(100)]);
    expect(log).toEqual(['pressed 7', 'ended: remote-bye']);

    const [err] = await Promise.all([
      pbx.invite('sip:alice@198.51.100.7').catch((e) => e),
      clock.advanceAsync(100),
    ]);
    expect(err).toBeInstanceOf(SipResponseError);
    expect([err.code, err.status]).toEqual(['ERR_SIP_RESPONSE', 486]);

    const closing = Promise.all([alice.close(), pbx.close()]);
    await clock.advanceAsync(40_000);
    await closing;
    expect(clock.pendingTimers).toBe(0);
  });
});
