/**
 * Entry point of a media worker thread (built to dist/media-worker.js and
 * .cjs; run from source through tsx in tests). It wires a MediaWorkerRuntime
 * to the parent port: requests in, responses and events out. After the
 * `shutdown` command is answered the port closes and the thread exits.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import type { RequestMessage, WorkerBootData } from './protocol.js';
import { MediaWorkerRuntime } from './runtime.js';

const port = parentPort;
if (!port) throw new Error('media-worker must run in a worker thread');
const data = (workerData ?? {}) as Partial<WorkerBootData>;
const runtime = new MediaWorkerRuntime({
  post: (m) => port.postMessage(m),
  tickMs: data.tickMs ?? 20,
  maxCatchUpTicks: data.maxCatchUpTicks ?? 5,
  threadId,
  ...(data.promptDirectory === undefined ? {} : { promptDirectory: data.promptDirectory }),
});
port.on('message', (m: RequestMessage) => {
  void runtime.handle(m).then(() => {
    if (m.command?.type === 'shutdown') port.close();
  });
});
port.postMessage({ kind: 'event', type: 'ready' });
