/**
 * strowger/testing — what Strowger's own tests use, for applications that
 * embed it: an injected clock that only moves when told to, deterministic
 * randomness, an in-memory SIP network, and an in-memory RTP network with
 * in-process media workers.
 */
export { FakeClock, type FakeClockOptions, flushMicrotasks, seededRandom } from '../core/index.js';
export {
  InProcessWorker,
  type InProcessWorkerOptions,
  inProcessWorkers,
  MemoryNetwork,
  type MemoryNetworkOptions,
  MemoryPeer,
} from '../media/worker/index.js';
export {
  LoopNetwork,
  type LoopNetworkOptions,
  type LoopPacket,
  LoopTransport,
} from '../sip/transport/index.js';
