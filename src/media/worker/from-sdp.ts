/**
 * From SDP offer/answer results to endpoint options: the switch negotiates
 * with `strowger/sdp` and hands the media engine what came out.
 *
 * ```ts
 * const session = negotiatedSession(...);            // strowger/sdp
 * await endpoint.update(endpointOptionsFromStream(session.streams[0]));
 * ```
 */
import { isIP } from 'node:net';
import type { NegotiatedStream } from '../../sdp/index.js';
import type { EndpointOptions } from './options.js';
import type { CodecSpec, RemoteAddress } from './types.js';

/**
 * Codecs, remote address (null when the stream was rejected or names a host
 * rather than an address) and packetization of one negotiated m= line.
 */
export function endpointOptionsFromStream(stream: NegotiatedStream): EndpointOptions {
  const codecs: CodecSpec[] = stream.codecs.map((c) => ({
    encodingName: c.encodingName,
    clockRate: c.clockRate,
    channels: c.channels,
    payloadType: c.payloadType,
    receivePayloadType: c.receivePayloadType,
    params: { ...c.params },
  }));
  const te = stream.telephoneEvent;
  if (te && !codecs.some((c) => c.encodingName.toLowerCase() === 'telephone-event')) {
    codecs.push({
      encodingName: 'telephone-event',
      clockRate: te.clockRate,
      payloadType: te.payloadType,
      receivePayloadType: te.receivePayloadType,
      params: { events: te.events },
    });
  }
  let remote: RemoteAddress | null = null;
  if (stream.accepted && isIP(stream.remoteAddress) !== 0) {
    remote = { address: stream.remoteAddress, port: stream.remotePort, rtcpMux: stream.rtcpMux };
    if (isIP(stream.remoteRtcpAddress) !== 0) remote.rtcpAddress = stream.remoteRtcpAddress;
    if (stream.remoteRtcpPort > 0) remote.rtcpPort = stream.remoteRtcpPort;
  }
  const ptime = stream.ptime === 40 || stream.ptime === 60 ? stream.ptime : 20;
  return { codecs, remote, ptime };
}
