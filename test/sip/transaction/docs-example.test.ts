import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../src/core/index.js';
import { createRequest, LoopNetwork, TransactionLayer, TransportLayer } from '../../../src/sip/index.js';

describe('docs/transactions.md quick start', () => {
  it('runs as written: OPTIONS answered 200, an INVITE rings, is cancelled and ends 487', async () => {
    const clock = new FakeClock();
    const net = new LoopNetwork({ clock, latencyMs: 5 });
    const host = (address: string) =>
      new TransactionLayer({
        transport: new TransportLayer({ transports: [net.createTransport({ address, port: 5060 })], clock }),
      });
    const alice = host('10.0.0.1');
    const bob = host('10.0.0.2');
    const toBob = { address: '10.0.0.2', port: 5060, protocol: 'UDP' } as const;

    bob.on('request', (tx) => {
      if (tx.method === 'OPTIONS')
        tx.respond(200, { headers: { Allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS' } });
      else if (tx.isInvite) tx.respond(180);
      else tx.respond(405);
    });

    const options = alice.sendRequest(
      createRequest({
        method: 'OPTIONS',
        uri: 'sip:bob@10.0.0.2',
        from: '<sip:alice@10.0.0.1>;tag=a1',
        to: 'sip:bob@10.0.0.2',
        callId: 'opt-1@10.0.0.1',
        cseq: 1,
      }),
      toBob,
    );
    await clock.advanceAsync(100);
    const ok = await options.finalResponse;
    expect(ok.status).toBe(200);
    expect(ok.getHeader('allow')).toBe('INVITE, ACK, CANCEL, BYE, OPTIONS');

    const call = alice.sendRequest(
      createRequest({
        method: 'INVITE',
        uri: 'sip:bob@10.0.0.2',
        from: '<sip:alice@10.0.0.1>;tag=a2',
        to: 'sip:bob@10.0.0.2',
        callId: 'call-1@10.0.0.1',
        cseq: 1,
        contact: '<sip:alice@10.0.0.1>',
      }),
      toBob,
    );
    const heard: number[] = [];
    expect(call.isInvite).toBe(true);
    if (call.isInvite) {
      call.on('provisional', (r) => heard.push(r.status));
      await clock.advanceAsync(1000);
      const cancelled = call.cancel();
      await clock.advanceAsync(100);
      expect((await cancelled)?.status).toBe(200);
      expect((await call.finalResponse).status).toBe(487);
    }
    expect(heard).toEqual([180]);
    alice.close();
    bob.close();
    expect(clock.pendingTimers).toBe(0);
  });
});
