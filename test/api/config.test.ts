import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAcd } from '../../src/acd/index.js';
import {
  acdAgentConfig,
  acdOptions,
  acdQueueConfig,
  CONFIG_DEFAULTS,
  ConfigError,
  loadConfig,
  parseConfig,
  validateConfig,
} from '../../src/api/index.js';
import { FakeClock } from '../../src/core/index.js';
import { createDialPlan } from '../../src/switch/index.js';

const root = resolve(__dirname, '..', '..');
const DEMO = join(root, 'examples', 'switch', 'demo.yaml');

function issuesOf(text: string, env: Record<string, string> = {}): string[] {
  try {
    parseConfig(text, { env, baseDir: '/srv/pbx' });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('ERR_CONFIG');
    return (err as ConfigError).issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
  }
  throw new Error('expected the configuration to be rejected');
}

const users = (n: number) =>
  `users:\n${Array.from({ length: n }, (_, i) => `  - { extension: ${1001 + i}, password: p${i} }`).join('\n')}\n`;

describe('configuration: defaults', () => {
  it('an empty file is a valid configuration with every default', () => {
    const c = parseConfig('', { env: {}, baseDir: '/srv/pbx' });
    expect(c.sip.transports).toEqual([
      {
        type: 'udp',
        address: '0.0.0.0',
        port: 5060,
        receiveBufferSize: CONFIG_DEFAULTS.sip.udpReceiveBufferSize,
        ioThread: true,
      },
    ]);
    expect(c.sip.domain).toBe(CONFIG_DEFAULTS.sip.domain);
    expect(c.sip.realm).toBe(c.sip.domain);
    expect(c.sip.timers).toEqual(CONFIG_DEFAULTS.sip.timers);
    expect(c.media.codecs).toEqual(CONFIG_DEFAULTS.media.codecs);
    expect(c.media.rtpPorts).toEqual(CONFIG_DEFAULTS.media.rtpPorts);
    expect(c.storage).toEqual({ driver: 'sqlite', dataDir: '/srv/pbx/.strowger/data', file: 'strowger.db' });
    expect(c.logging.level).toBe('info');
    expect(c.drain.timeoutMs).toBe(30_000);
    expect([c.users, c.routes, c.trunks, c.applications, c.queues, c.agents]).toEqual([
      [],
      [],
      [],
      [],
      [],
      [],
    ]);
  });

  it('the result and the defaults are frozen', () => {
    const c = parseConfig(users(1), { env: {} });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.users[0])).toBe(true);
    expect(Object.isFrozen(CONFIG_DEFAULTS.sip.ports)).toBe(true);
    expect(() => {
      (c.users as unknown[]).push({});
    }).toThrow();
  });

  it('reads durations with units, keeps dial strings as written, and normalises codec names', () => {
    const c = parseConfig(
      [
        'media: { codecs: [pcma, OPUS], rtpTimeoutMs: 1m, jitter: { maxDelayMs: 250ms } }',
        'sip: { timers: { t1Ms: 0.25s } }',
        'users: [{ extension: 0100, password: x, ringTimeoutMs: 20s }]',
        'trunks:',
        '  - name: carrier',
        '    registrar: sip:sip.example.com',
        '    register: false',
        '    dids: [{ number: +15551230000, extension: 0100 }]',
      ].join('\n'),
      { env: {} },
    );
    expect(c.media.codecs).toEqual(['PCMA', 'opus']);
    expect(c.media.rtpTimeoutMs).toBe(60_000);
    expect(c.media.jitter.maxDelayMs).toBe(250);
    expect(c.sip.timers.t1Ms).toBe(250);
    expect(c.users[0]?.extension).toBe('0100');
    expect(c.users[0]?.ringTimeoutMs).toBe(20_000);
    expect(c.trunks[0]?.dids[0]).toEqual({
      number: '+15551230000',
      target: { kind: 'extension', extension: '0100' },
    });
  });

  it('the domain defaults to the first named bind address', () => {
    const c = parseConfig('sip: { transports: [{ type: udp }, { type: tcp, address: 10.0.0.5 }] }', {
      env: {},
    });
    expect(c.sip.domain).toBe('10.0.0.5');
    expect(c.sip.realm).toBe('10.0.0.5');
  });
});

describe('configuration: errors name every bad field', () => {
  const cases: [string, string, string[]][] = [
    ['a user without a password', `${users(3)}  - { extension: 1004 }`, ['users[3].password: required']],
    [
      'a port out of range',
      'sip: { transports: [{ type: udp, port: 70000 }] }',
      ['sip.transports[0].port: must be 0-65535 (0: any free port)'],
    ],
    ['an unknown key', 'sip: { transprts: [] }', ['sip.transprts: unknown key']],
    ['an unknown top-level key', 'usres: []', ['usres: unknown key']],
    [
      'an unknown transport',
      'sip: { transports: [{ type: sctp }] }',
      ['sip.transports[0].type: must be one of udp, tcp, tls, ws, wss'],
    ],
    ['tls without files', 'sip: { transports: [{ type: tls }] }', ['sip.transports[0].tls: required']],
    [
      'tls options on udp',
      'sip: { transports: [{ type: udp, tls: { certFile: a, keyFile: b } }] }',
      ['sip.transports[0].tls: unknown key'],
    ],
    [
      'a UDP receive buffer too small',
      'sip: { transports: [{ type: udp, receiveBufferSize: 1000 }] }',
      ['sip.transports[0].receiveBufferSize: must be a byte count from 65536 to 268435456'],
    ],
    [
      'an I/O thread on ws',
      'sip: { transports: [{ type: ws, ioThread: true }] }',
      ['sip.transports[0].ioThread: unknown key'],
    ],
    [
      'a receive buffer on tcp',
      'sip: { transports: [{ type: tcp, receiveBufferSize: 1048576 }] }',
      ['sip.transports[0].receiveBufferSize: unknown key'],
    ],
    [
      'origins on tcp',
      'sip: { transports: [{ type: tcp, origins: [x] }] }',
      ['sip.transports[0].origins: unknown key'],
    ],
    [
      'a bad address',
      'sip: { transports: [{ type: udp, address: "not an address!" }] }',
      ['sip.transports[0].address: must be an IP address or a host name'],
    ],
    [
      'two transports on one socket',
      'sip: { transports: [{ type: tcp, port: 5070 }, { type: ws, address: 127.0.0.1, port: 5070 }, { type: udp, port: 5070 }] }',
      ['sip.transports[1].port: TCP 127.0.0.1:5070 is already bound by sip.transports[0] (tcp 0.0.0.0:5070)'],
    ],
    [
      'a bad extension',
      'users: [{ extension: 10a1, password: x }]',
      ['users[0].extension: must be an extension number (1-15 digits)'],
    ],
    [
      'a duplicate extension',
      `${users(2)}  - { extension: 1001, password: y }`,
      ['users[2].extension: "1001" is already used by users[0]'],
    ],
    ['a string where a list belongs', 'users: 1001', ['users: must be a list']],
    ['a list where a mapping belongs', 'sip: [udp]', ['sip: must be a mapping (key: value)']],
    [
      'a bad boolean',
      'users: [{ extension: 1, password: x, voicemail: yes please }]',
      ['users[0].voicemail: must be true or false'],
    ],
    [
      'a bad voicemail pin',
      'users: [{ extension: 1, password: x, voicemailPin: 12 }]',
      ['users[0].voicemailPin: must be a string or { env: VARIABLE_NAME }'],
    ],
    [
      'an odd RTP start port',
      'media: { rtpPorts: { min: 10001, max: 20000 } }',
      ['media.rtpPorts.min: must be even (RTP takes the even port, RTCP the odd one)'],
    ],
    [
      'an unknown codec',
      'media: { codecs: [PCMU, GSM] }',
      ['media.codecs[1]: unknown codec "GSM" (have PCMU, PCMA, L16, G722, opus)'],
    ],
    ['a codec twice', 'media: { codecs: [PCMU, pcmu] }', ['media.codecs[1]: PCMU is listed twice']],
    ['zero workers', 'media: { workers: 0 }', ["media.workers: must be 'auto' or an integer 1-256"]],
    [
      'a bad duration',
      'drain: { timeoutMs: soon }',
      ['drain.timeoutMs: must be a duration: milliseconds as a number, or like "500ms", "30s", "5m", "1h"'],
    ],
    ['a negative duration', 'drain: { timeoutMs: -5 }', ['drain.timeoutMs: must be 0-604800000 ms']],
    [
      'a bad log level',
      'logging: { level: loud }',
      ['logging.level: must be one of fatal, error, warn, info, debug, trace, silent'],
    ],
    [
      'a route with two matches',
      `${users(1)}routes: [{ exact: 1, prefix: 2, extension: 1001 }]`,
      ['routes[0].prefix: has both exact and prefix; give exactly one of exact, prefix, pattern, regex'],
    ],
    [
      'a route with no target',
      'routes: [{ exact: 1 }]',
      ['routes[0]: needs a target: one of extension, trunk, application, queue'],
    ],
    [
      'a bad pattern',
      `${users(1)}routes: [{ pattern: 9Q, extension: 1001 }]`,
      [
        'routes[0].pattern: pattern "9Q" at 2: unexpected "Q" (use digits, * # +, X Z N, [..], and a final . or !)',
      ],
    ],
    [
      'a bad regex',
      `${users(1)}routes: [{ regex: "(", extension: 1001 }]`,
      [expect.stringMatching(/^routes\[0\]\.regex: regex "\(": /) as unknown as string],
    ],
    [
      'a route to nowhere',
      'routes: [{ exact: 9000, queue: sales }]',
      ['routes[0].queue: no queue "sales" in queues'],
    ],
    [
      'a route to an unknown trunk',
      'routes: [{ prefix: 9, trunk: carrier, strip: 1 }]',
      ['routes[0].trunk: no trunk "carrier" in trunks'],
    ],
    [
      'a registering trunk without credentials',
      'trunks: [{ name: t, registrar: "sip:x.example" }]',
      [
        'trunks[0].username: required when register is true',
        'trunks[0].password: required when register is true',
      ],
    ],
    [
      'a trunk with a bad registrar',
      'trunks: [{ name: t, registrar: x.example, register: false }]',
      ['trunks[0].registrar: must be a SIP URI like sip:host[:port]'],
    ],
    [
      'a DID routed twice',
      `${users(1)}trunks: [{ name: a, registrar: "sip:a", register: false, dids: [{ number: "+1555", extension: 1001 }] }, { name: b, registrar: "sip:b", register: false, dids: [{ number: "+1555", extension: 1001 }] }]`,
      ['trunks[1].dids[0].number: "+1555" is already routed by trunks[0].dids[0]'],
    ],
    [
      'a playback with nothing to play',
      'applications: [{ name: p, type: playback }]',
      ['applications[0]: needs something to play: one of tone, prompt'],
    ],
    [
      'an unknown tone',
      'applications: [{ name: p, type: playback, tone: moo }]',
      [expect.stringMatching(/^applications\[0\]\.tone: must be one of dial, ringback/) as unknown as string],
    ],
    [
      'an unknown application type',
      'applications: [{ name: p, type: ivr }]',
      ['applications[0].type: must be one of echo, playback, hangup'],
    ],
    [
      'a hangup status that is not an error',
      'applications: [{ name: h, type: hangup, status: 200 }]',
      ['applications[0].status: must be a SIP status 400-699'],
    ],
    [
      'an unknown strategy',
      'queues: [{ id: q, strategy: best }]',
      [
        expect.stringMatching(
          /^queues\[0\]\.strategy: must be one of ring-all, longest-idle/,
        ) as unknown as string,
      ],
    ],
    [
      'an SLA target above 1',
      'queues: [{ id: q, serviceLevel: { target: 80 } }]',
      ['queues[0].serviceLevel.target: must be in (0, 1]'],
    ],
    [
      'a bad time zone',
      "queues: [{ id: q, hours: { timeZone: Mars/Base, weekly: [{ days: [1], open: '09:00', close: '17:00' }] } }]",
      ['queues[0].hours: hours.timeZone "Mars/Base" is not a known time zone'],
    ],
    [
      'an overflow to itself',
      'queues: [{ id: q, overflow: [{ when: { waitMs: 60s }, action: { type: queue, queue: q } }] }]',
      ['queues[0].overflow[0].action.queue: must name another queue'],
    ],
    [
      'an agent on an unknown extension',
      'queues: [{ id: q }]\nagents: [{ extension: 1099, queues: [q] }]',
      ['agents[0].extension: no extension "1099" in users'],
    ],
    [
      'an agent in an unknown queue',
      `${users(1)}agents: [{ extension: 1001, queues: [{ queue: q2 }] }]`,
      ['agents[0].queues[0].queue: no queue "q2" in queues'],
    ],
    [
      'a skill proficiency of 6',
      `${users(1)}agents: [{ extension: 1001, skills: { french: 6 } }]`,
      ['agents[0].skills.french: must be a proficiency 1-5'],
    ],
    [
      'YAML that does not parse',
      'users: [1, 2\nsip: x',
      [expect.stringMatching(/^line 2, column 1: /) as unknown as string],
    ],
    [
      'a duplicate YAML key',
      'sip: {}\nsip: {}',
      [expect.stringMatching(/^line 2, column 1: Map keys must be unique/) as unknown as string],
    ],
    ['a list at the top', '- 1', ['the configuration must be a mapping (key: value) at the top level']],
  ];

  it.each(cases)('%s', (_what, text, expected) => {
    expect(issuesOf(text)).toEqual(expected);
  });

  it('reports every problem of a file at once, schema and references together', () => {
    const issues = issuesOf(
      [
        users(3),
        '  - { extension: 1004 }',
        'sip: { transports: [{ type: udp, port: -1 }] }',
        'routes: [{ exact: 9000, queue: sales }]',
        'logging: { level: loud }',
      ].join('\n'),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        'users[3].password: required',
        'sip.transports[0].port: must be 0-65535 (0: any free port)',
        'logging.level: must be one of fatal, error, warn, info, debug, trace, silent',
        'routes[0].queue: no queue "sales" in queues',
      ]),
    );
    expect(issues).toHaveLength(4);
  });

  it('the error message lists the problems one per line, with the file', async () => {
    const err = await loadConfig(
      { text: 'users: [{ extension: 1 }]\nx: 1', name: 'switch.yaml' },
      { env: {} },
    ).catch((e) => e);
    expect(err.message).toBe(
      'invalid configuration in switch.yaml (2 problems):\n  users[0].password: required\n  x: unknown key',
    );
  });

  it('a missing file is a ConfigError naming it', async () => {
    const err = await loadConfig('/nonexistent/switch.yaml').catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.issues[0].message).toBe('cannot read /nonexistent/switch.yaml: no such file');
  });
});

describe('configuration: secrets from the environment', () => {
  const text = [
    'users: [{ extension: 1001, password: { env: PBX_1001_PASSWORD }, voicemailPin: { env: PIN } }]',
    'trunks: [{ name: carrier, registrar: "sip:sip.example.com", username: acme, password: { env: TRUNK_PASSWORD } }]',
  ].join('\n');

  it('resolves { env: NAME } from the given environment', () => {
    const c = parseConfig(text, { env: { PBX_1001_PASSWORD: 's3cret', PIN: '4321', TRUNK_PASSWORD: 'tr' } });
    expect(c.users[0]?.password).toBe('s3cret');
    expect(c.users[0]?.voicemailPin).toBe('4321');
    expect(c.trunks[0]?.password).toBe('tr');
  });

  it('names each missing variable at its field, and checks what it holds', () => {
    expect(issuesOf(text, { PIN: '12' })).toEqual([
      'users[0].password: environment variable PBX_1001_PASSWORD is not set',
      'users[0].voicemailPin: must be 4-12 digits',
      'trunks[0].password: environment variable TRUNK_PASSWORD is not set',
    ]);
  });

  it('rejects a malformed reference', () => {
    expect(issuesOf('users: [{ extension: 1, password: { env: "1BAD" } }]')).toEqual([
      'users[0].password: must be a string or { env: VARIABLE_NAME }',
    ]);
    expect(issuesOf('users: [{ extension: 1, password: { env: A, file: b } }]')).toEqual([
      'users[0].password: must be a string or { env: VARIABLE_NAME }',
    ]);
  });

  it('reads process.env when no environment is given', () => {
    process.env.STROWGER_TEST_SECRET = 'from-process';
    try {
      const c = parseConfig('users: [{ extension: 1, password: { env: STROWGER_TEST_SECRET } }]');
      expect(c.users[0]?.password).toBe('from-process');
    } finally {
      delete process.env.STROWGER_TEST_SECRET;
    }
  });
});

describe('configuration: overrides and paths', () => {
  it('command-line overrides win over the file', () => {
    const c = parseConfig(
      'sip: { transports: [{ type: udp, port: 5070 }, { type: tcp }, { type: ws }] }\nlogging: { level: warn }',
      { env: {}, overrides: { bind: '192.0.2.1', sipPort: 5080, dataDir: 'var/data', logLevel: 'debug' } },
    );
    expect(c.sip.transports.map((t) => `${t.type} ${t.address}:${t.port}`)).toEqual([
      'udp 192.0.2.1:5080',
      'tcp 192.0.2.1:5080',
      'ws 192.0.2.1:5066',
    ]);
    expect(c.media.address).toBe('192.0.2.1');
    expect(c.storage.dataDir).toBe(resolve('var/data'));
    expect(c.logging.level).toBe('debug');
  });

  it('relative paths resolve against the file’s directory', async () => {
    const c = await loadConfig(DEMO);
    expect(c.storage.dataDir).toBe(join(root, 'examples', 'switch', '.strowger', 'data'));
    const t = parseConfig(
      'sip: { transports: [{ type: tls, tls: { certFile: certs/a.pem, keyFile: /etc/k.pem } }] }',
      {
        env: {},
        baseDir: '/srv/pbx',
      },
    );
    expect(t.sip.transports[0]?.tls).toEqual({ certFile: '/srv/pbx/certs/a.pem', keyFile: '/etc/k.pem' });
  });

  it('validateConfig takes an object built in code', () => {
    const c = validateConfig({ users: [{ extension: '2001', password: 'x' }] }, { env: {} });
    expect(c.users[0]?.maxDevices).toBe(CONFIG_DEFAULTS.user.maxDevices);
  });
});

describe('the demo configuration', () => {
  it('loads: SIP on 127.0.0.1 over UDP, TCP and WS, users 1001-1010, echo, tone and a queue', async () => {
    const c = await loadConfig(DEMO, { env: {} });
    expect(c.demo).toBe(true);
    expect(c.sip.transports.map((t) => `${t.type} ${t.address}:${t.port}`)).toEqual([
      'udp 127.0.0.1:5060',
      'tcp 127.0.0.1:5060',
      'ws 127.0.0.1:5066',
    ]);
    expect(c.users.map((u) => u.extension)).toEqual(Array.from({ length: 10 }, (_, i) => String(1001 + i)));
    const plan = createDialPlan(c.routes);
    const app = (n: string) => {
      const t = plan.route(n)?.target;
      return t?.kind === 'application' ? c.applications.find((a) => a.name === t.application) : undefined;
    };
    expect(app('9196')?.type).toBe('echo');
    expect(app('9197')).toMatchObject({ type: 'playback', tone: 'dial' });
    expect(plan.route('9000')?.target).toEqual({ kind: 'queue', queue: 'demo' });
    expect(c.agents.map((a) => a.extension)).toEqual(['1005', '1006', '1007', '1008', '1009', '1010']);
  });

  it('lists in its header comment the same passwords its users have', async () => {
    const c = await loadConfig(DEMO, { env: {} });
    const { readFileSync } = await import('node:fs');
    const header = readFileSync(DEMO, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    for (const u of c.users) expect(header).toMatch(new RegExp(`#\\s+${u.extension}\\s+${u.password}\\b`));
  });

  it('its queues and agents are accepted by the ACD as they are', async () => {
    const c = await loadConfig(DEMO, { env: {} });
    const acd = createAcd({ ...acdOptions(c), clock: new FakeClock() });
    for (const q of c.queues) acd.addQueue(acdQueueConfig(q));
    for (const a of c.agents) acd.addAgent(acdAgentConfig(a));
    acd.login('1005');
    expect(acd.enqueue({ id: 'call-1', queue: 'demo' })).toMatchObject({ accepted: true });
    acd.close();
  });

  it('a call-center configuration with every queue field is accepted by the ACD', () => {
    const c = parseConfig(
      [
        users(2),
        'acd: { rejectDelayMs: 3s, maxMissedOffers: 2, tickMs: 1s }',
        'queues:',
        '  - id: sales',
        '    strategy: skills-based',
        '    priority: 2',
        '    skills: [{ skill: french, min: 3 }]',
        '    relaxation: [{ afterMs: 30s, lowerMinBy: 1 }, { afterMs: 90s, drop: "*" }]',
        '    serviceLevel: { thresholdMs: 20s, target: 0.8, leadMs: 1m, minCalls: 5 }',
        '    maxWaitMs: 10m',
        '    maxLength: 50',
        '    wrapUpMs: 15s',
        '    offerTimeoutMs: 20s',
        '    overflow: [{ when: sla-at-risk, action: { type: add-agents, skill: french } }, { when: full, action: { type: queue, queue: support } }]',
        '    emptyWhen: no-agents-logged-in',
        "    hours: { timeZone: Europe/Paris, weekly: [{ days: [1, 2, 3, 4, 5], open: '09:00', close: '18:00' }], closedDates: [2026-12-25] }",
        '    dispositions: { codes: [sold, lost], required: true }',
        '    ahtMs: 4m',
        '    callback: { maxAttempts: 2, retryDelayMs: 10m }',
        '  - { id: support, strategy: round-robin }',
        'agents:',
        '  - { extension: 1001, skills: { french: 4 }, queues: [sales, { queue: support, order: 1 }], maxConcurrent: 2 }',
        '  - { extension: 1002, id: bob, name: Bob, queues: [support], weight: 2 }',
      ].join('\n'),
      { env: {} },
    );
    expect(c.acd).toEqual({ rejectDelayMs: 3_000, maxMissedOffers: 2, tickMs: 1_000 });
    expect(c.agents[1]?.id).toBe('bob');
    const acd = createAcd({ ...acdOptions(c), clock: new FakeClock() });
    for (const q of [...c.queues].reverse()) acd.addQueue(acdQueueConfig(q));
    for (const a of c.agents) acd.addAgent(acdAgentConfig(a));
    expect(acd.agent('bob')?.queues).toEqual(['support']);
    acd.close();
  });
});

describe('docs/configuration.md', () => {
  it('its complete example is a valid configuration', async () => {
    const { readFileSync } = await import('node:fs');
    const md = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
    const example = /## A complete example\s+```yaml\n([\s\S]*?)```/.exec(md)?.[1] as string;
    expect(example).toBeTruthy();
    const env = Object.fromEntries(
      ['TLS_PASSPHRASE', 'ALICE_PASSWORD', 'ALICE_PIN', 'BOB_PASSWORD', 'CARRIER_PASSWORD'].map((k) => [
        k,
        k === 'ALICE_PIN' ? '2468' : 'x',
      ]),
    );
    const c = parseConfig(example, { env, baseDir: '/etc/strowger' });
    expect(c.sip.transports.map((t) => t.type)).toEqual(['udp', 'tcp', 'tls', 'wss']);
    expect(c.trunks[0]?.dids).toHaveLength(2);
    expect(createDialPlan(c.routes).route('92125551234')?.number).toBe('+12125551234');
  });

  it('documents every top-level section', async () => {
    const { readFileSync } = await import('node:fs');
    const md = readFileSync(join(root, 'docs', 'configuration.md'), 'utf8');
    for (const key of Object.keys(parseConfig('', { env: {} }))) expect(md).toContain(`| \`${key}\``);
  });
});
