/**
 * The SDP bodies of the RFC 5118 IPv6 torture tests (§4.6 ipv6-in-sdp,
 * §4.7 mult-ip-in-sdp), read from the raw SIP messages in test/fixtures/sdp.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addressFamily, codecsOf, connectionOf, parseSdp, serializeSdp } from '../../src/sdp/index.js';

/**
 * The body after the blank line. The Content-Length printed in RFC 5118 does
 * not match these bodies (241 for 251 bytes, 181 for 189), so the body is
 * taken to the end of the message, as a UDP receiver would see it.
 */
function body(name: string, contentLength: number): string {
  const raw = readFileSync(join(__dirname, '..', 'fixtures', 'sdp', name), 'latin1');
  const split = raw.indexOf('\r\n\r\n');
  expect(split).toBeGreaterThan(0);
  const head = raw.slice(0, split);
  expect(head).toMatch(/\r\nContent-Type: application\/sdp/i);
  expect(Number(/\r\nContent-Length: *(\d+)/i.exec(head)?.[1])).toBe(contentLength);
  const sdp = raw.slice(split + 4);
  expect(sdp.endsWith('\r\n')).toBe(true);
  return sdp;
}

describe('RFC 5118 SDP bodies', () => {
  it('ipv6-in-sdp: IPv6 origin and connection address without brackets', () => {
    const text = body('ipv6-in-sdp', 241);
    const d = parseSdp(text);
    expect(d.origin).toMatchObject({
      username: 'assistant',
      sessionId: '971731711378798081',
      addrType: 'IP6',
      address: '2001:db8::20',
    });
    expect(d.sessionName).toBe("Live video feed for today's meeting");
    expect(d.connection).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::20' });
    expect(d.timing).toEqual([{ start: 3338481189, stop: 3370017201, repeats: [] }]);
    expect(d.media.map((m) => [m.type, m.port, m.formats])).toEqual([
      ['audio', 6000, ['2']],
      ['video', 6024, ['107']],
    ]);
    for (const m of d.media) expect(addressFamily(connectionOf(d, m)!.address)).toBe('ipv6');
    expect(codecsOf(d.media[0]!)[0]).toMatchObject({
      payloadType: 2,
      encodingName: 'G726-32',
      clockRate: 8000,
    });
    expect(serializeSdp(d)).toBe(text);
  });

  it('mult-ip-in-sdp: an IPv4 audio stream and an IPv6 video stream', () => {
    const text = body('mult-ip-in-sdp', 181);
    const d = parseSdp(text);
    expect(d.origin.address).toBe('host.example.com');
    expect(addressFamily(d.origin.address)).toBe('fqdn');
    expect(d.sessionName).toBe('');
    expect(d.connection).toBeUndefined();
    const [audio, video] = d.media;
    expect(connectionOf(d, audio!)).toEqual({ netType: 'IN', addrType: 'IP4', address: '192.0.2.1' });
    expect(connectionOf(d, video!)).toEqual({ netType: 'IN', addrType: 'IP6', address: '2001:db8::1' });
    expect(addressFamily(connectionOf(d, audio!)!.address)).toBe('ipv4');
    expect(addressFamily(connectionOf(d, video!)!.address)).toBe('ipv6');
    expect(serializeSdp(d)).toBe(text);
  });
});
