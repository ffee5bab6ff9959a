/**
 * strowger/rtp — the RTP/RTCP wire layer (L1): zero-copy RTP reading and
 * in-place rewriting for the relay path, RTP/RTCP packets in the one shape
 * (parse / serializedSize / serializeInto / serialize), RFC 8285 header
 * extensions, rtcp-mux demultiplexing, RFC 4733 telephone-events, RFC 3550
 * receiver/sender statistics and an E-model quality estimate.
 */

export { type DemuxResult, demuxPacket, isRtcpPacketType } from './demux.js';
// Quality
export {
  burstRatio,
  CODEC_IMPAIRMENTS,
  type CodecImpairment,
  type DelayModel,
  delayImpairment,
  effectiveEquipmentImpairment,
  estimateQuality,
  type KnownCodec,
  mosFromR,
  type QualityEstimate,
  type QualityInput,
  R_DEFAULT,
} from './e-model.js';
export { RtpParseError } from './errors.js';
export {
  extensionForm,
  fitsOneByteForm,
  headerExtensionSize,
  makeHeaderExtension,
  ONE_BYTE_EXTENSION_PROFILE,
  parseHeaderExtension,
  type RtpExtensionElement,
  type RtpHeaderExtension,
  TWO_BYTE_EXTENSION_PROFILE,
  writeHeaderExtension,
} from './header-extension.js';
// Time
export {
  NTP_UNIX_OFFSET_SECONDS,
  type NtpTimestamp,
  ntpFromUnixMs,
  ntpMiddle32,
  ntpMiddle32FromUnixMs,
  ntpShortFromSeconds,
  roundTripTime,
  secondsFromNtpShort,
  unixMsFromNtp,
} from './ntp.js';
// Statistics
export {
  RECEIVER_STATISTICS_DEFAULTS,
  RtpReceiverStatistics,
  type RtpReceiverStatisticsOptions,
} from './receiver-statistics.js';
export { RtcpApp, type RtcpAppInit } from './rtcp-app.js';
export { RtcpBye, type RtcpByeInit } from './rtcp-bye.js';
export { parseRtcp, RtcpCompound, type RtcpPacket, type RtcpParseOptions } from './rtcp-compound.js';
// RTCP
export {
  RTCP_APP,
  RTCP_BYE,
  RTCP_PSFB,
  RTCP_RR,
  RTCP_RTPFB,
  RTCP_SDES,
  RTCP_SR,
  RTCP_XR,
  RtcpPacketBase,
} from './rtcp-header.js';
export { RtcpRawPacket, type RtcpRawPacketInit } from './rtcp-raw.js';
export { RtcpReceiverReport, type RtcpReceiverReportInit } from './rtcp-receiver-report.js';
export { REPORT_BLOCK_SIZE, type RtcpReportBlock } from './rtcp-report-block.js';
export { RtcpSenderReport, type RtcpSenderReportInit } from './rtcp-sender-report.js';
export {
  RtcpSourceDescription,
  type RtcpSourceDescriptionInit,
  type SdesChunk,
  type SdesItem,
  SdesItemType,
} from './rtcp-source-description.js';
export { RtpPacket, type RtpPacketInit } from './rtp-packet.js';
// RTP
export { RTP_HEADER_SIZE, RtpReader } from './rtp-reader.js';
export {
  rewriteRtpHeader,
  setRtpMarker,
  setRtpPayloadType,
  setRtpSequenceNumber,
  setRtpSsrc,
  setRtpTimestamp,
} from './rtp-rewrite.js';
export {
  RtpSenderStatistics,
  type RtpSenderStatisticsOptions,
  type SenderReportTimes,
} from './sender-statistics.js';
// RFC 4733
export {
  TELEPHONE_EVENT_SIZE,
  TelephoneEvent,
  type TelephoneEventInit,
  telephoneEventCode,
  telephoneEventName,
} from './telephone-event.js';
export {
  type DigitEvent,
  TELEPHONE_EVENT_RECEIVER_DEFAULTS,
  type TelephoneEventInput,
  TelephoneEventReceiver,
  type TelephoneEventReceiverOptions,
} from './telephone-event-receiver.js';
export {
  TELEPHONE_EVENT_SENDER_DEFAULTS,
  type TelephoneEventPacket,
  TelephoneEventSender,
  type TelephoneEventSenderOptions,
} from './telephone-event-sender.js';
