/**
 * A switch inside your own program: createSwitch() from a configuration, the call model's
 * events, a hot reload, and a phone (the library's own SIP user agent) that registers and
 * calls the echo test. Everything on 127.0.0.1 with free ports; CDRs in memory.
 * Run: npx tsx examples/switch/library.ts
 */
import { createSwitch, loadConfig } from 'strowger';
import { createUdpTransport, createUserAgent } from 'strowger/sip';

const config = await loadConfig({
  name: 'example.yaml',
  text: `
sip:
  domain: 127.0.0.1
  transports: [{ type: udp, address: 127.0.0.1, port: 0 }]   # 0: any free port
media:
  address: 127.0.0.1
  workers: 1
users:
  - { extension: 1001, name: Alice, password: secret1001 }
applications:
  - { name: echo, type: echo }
routes:
  - { name: echo test, exact: 9196, application: echo }
storage: { driver: memory }
logging: { level: silent }
`,
});

const sw = await createSwitch(config);
const [sip] = sw.addresses;
console.log(`switch listening on ${sip?.protocol} ${sip?.address}:${sip?.port}`);

sw.on('registration', (r) => console.log(`registration: ${r.extension} has ${r.contacts} device(s)`));
sw.on('call', (call) => {
  console.log(`call: ${call.caller.number} -> ${call.callee.number} (${call.destination.kind})`);
  call.on('answered', () => console.log(`answered: media ${call.media?.kind}`));
});
sw.on('ended', (call, { disposition, hangup, cdr }) =>
  console.log(
    `ended: ${call.callee.number} ${disposition}, hung up by ${hangup.by}; CDR legs ${cdr?.legs.length}`,
  ),
);

// Hot reload: the same echo on 7777 too (users, routes, trunks, applications apply at once).
await sw.configure({
  ...config,
  routes: [
    ...config.routes,
    { match: { kind: 'exact', value: '7777' }, target: { kind: 'application', application: 'echo' } },
  ],
});

// A phone: the library's SIP user agent with digest credentials, offering PCMU (an
// address and port in its SDP; this example sends no audio).
const media = {
  address: '127.0.0.1',
  media: [{ port: 40_000, codecs: [{ encodingName: 'PCMU', clockRate: 8000 }] }],
};
const phone = createUserAgent({
  transports: [await createUdpTransport({ address: '127.0.0.1', port: 0 })],
  user: '1001',
  domain: '127.0.0.1',
  credentials: { username: '1001', password: 'secret1001' },
});
const registration = phone.register({ aor: 'sip:1001@127.0.0.1', registrar: `sip:127.0.0.1:${sip?.port}` });
await new Promise((resolve) => registration.once('registered', resolve));

for (const number of ['9196', '7777']) {
  const ended = new Promise((resolve) => sw.once('ended', resolve));
  const session = await phone.invite(`sip:${number}@127.0.0.1:${sip?.port}`, { offer: media });
  await session.bye();
  await ended;
}

const { items } = await sw.storage.cdrs.query({ order: 'asc' });
for (const cdr of items) console.log(`CDR: ${cdr.caller.number} -> ${cdr.callee.number} ${cdr.disposition}`);

await phone.close();
await sw.close(); // ends calls, unregisters, closes SIP, media and storage; idempotent
console.log(`closed: ${sw.closed}`);
