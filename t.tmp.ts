import { loadConfig, parseConfig } from './src/api/config/index.js';

const c = await loadConfig('examples/switch/demo.yaml');
console.log(
  JSON.stringify(
    {
      sip: c.sip,
      storage: c.storage,
      routes: c.routes,
      apps: c.applications,
      q: c.queues,
      a: c.agents[0],
      u: c.users[0],
    },
    null,
    1,
  ),
);
try {
  parseConfig(
    `
users:
  - { extension: 1001, password: x }
  - { extension: 1002 }
  - { extension: 1001, password: { env: NOPE }, colour: red }
sip:
  transprts: []
  transports:
    - { type: udp, port: 70000 }
    - { type: tcp }
    - { type: tls, port: 5061 }
    - { type: sctp }
routes:
  - { exact: 9196, pattern: '9X', queue: nope }
  - { pattern: '9Q', extension: 1001 }
  - { prefix: 9, trunk: carrier }
media: { rtpPorts: { min: 10001, max: 10002 }, codecs: [PCMU, GSM], workers: 0 }
queues:
  - { id: q1, strategy: best, hours: { timeZone: Mars/Base, weekly: [{ days: [1], open: '09:00', close: '17:00' }] }, overflow: [{ when: full, action: { type: queue, queue: q1 } }] }
agents:
  - { extension: 1099, queues: [q1, q2] }
drain: { timeoutMs: soon }
`,
    { env: {} },
  );
} catch (e) {
  console.log(e.code);
  console.log(e.message);
}
