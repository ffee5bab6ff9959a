/**
 * The zod schema of the switch configuration file. Built per load because secrets are
 * resolved from the environment it is given (`password: { env: NAME }`). Field-level rules
 * live here; rules across sections (a route naming an unknown queue) are in
 * `references.ts`, which runs on the raw input so that every error is reported at once.
 */
import { isIP } from 'node:net';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { BUILT_IN_STRATEGIES, type BuiltInStrategyName, compileBusinessHours } from '../../acd/index.js';
import { isPromptName, TONE_NAMES, TONE_REGIONS } from '../../media/audio/index.js';
import { codecs as codecRegistry } from '../../media/codecs/index.js';
import { compileMatch, type RouteMatch, type RouteTarget } from '../../switch/index.js';
import { CONFIG_DEFAULTS as D } from './defaults.js';
import type { SwitchConfig } from './types.js';

export type Env = Readonly<Record<string, string | undefined>>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const HOST_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

// ---- building blocks ------------------------------------------------------------------

const text = (max = 256) =>
  z.string().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);
const name = () =>
  z.string().regex(NAME, 'must be 1-64 letters, digits, _ . - (starting with a letter or digit)');
const bool = () =>
  z.boolean({ error: (i) => (i.input === undefined ? 'required' : 'must be true or false') });

const int = (min: number, max: number, message = `must be an integer ${min}-${max}`) =>
  z
    .int({ error: (i) => (i.input === undefined ? 'required' : message) })
    .min(min, message)
    .max(max, message);

/** A listening port; 0 binds any free port (tests, benchmarks: read it back from the running switch). */
const port = () => int(0, 65535, 'must be 0-65535 (0: any free port)');

const address = () =>
  z
    .string({ error: (i) => (i.input === undefined ? 'required' : 'must be an IP address or a host name') })
    .refine((s) => isIP(s) !== 0 || HOST_NAME.test(s), 'must be an IP address or a host name');

/** A dial string: digits and * # + (YAML numbers are accepted and kept as written). */
const dial = (what = 'a number of digits, * # +') =>
  z
    .union([z.string(), z.int().nonnegative()], { error: `must be ${what}` })
    .transform((v) => String(v))
    .refine((s) => /^[0-9*#+]{1,32}$/.test(s), `must be ${what}`);

const extension = () =>
  z
    .union([z.string(), z.int().nonnegative()], { error: 'must be an extension number (1-15 digits)' })
    .transform((v) => String(v))
    .refine((s) => /^[0-9]{1,15}$/.test(s), 'must be an extension number (1-15 digits)');

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
const DURATION_MSG = 'must be a duration: milliseconds as a number, or like "500ms", "30s", "5m", "1h"';
/** Milliseconds as a number, or a string with a unit. */
const duration = (max = 7 * 24 * 3_600_000) =>
  z
    .union([z.number(), z.string()], { error: (i) => (i.input === undefined ? 'required' : DURATION_MSG) })
    .transform((v, ctx) => {
      let ms: number;
      if (typeof v === 'number') ms = v;
      else {
        const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/.exec(v);
        ms = m ? Math.round(Number(m[1]) * (UNITS[m[2] as string] as number)) : Number.NaN;
      }
      if (!Number.isInteger(ms) || ms < 0 || ms > max) {
        ctx.addIssue({ code: 'custom', message: Number.isNaN(ms) ? DURATION_MSG : `must be 0-${max} ms` });
        return z.NEVER;
      }
      return ms;
    });

/** A path; relative ones are resolved against `baseDir`. */
const path = (baseDir: string) => text(4096).transform((p) => (isAbsolute(p) ? p : resolve(baseDir, p)));

const sipUri = () =>
  z
    .string({ error: (i) => (i.input === undefined ? 'required' : 'must be a SIP URI like sip:host[:port]') })
    .refine((s) => /^sips?:[^\s]+$/i.test(s), 'must be a SIP URI like sip:host[:port]');

/**
 * A secret: a string, or `{ env: NAME }` read from the environment at load time. A
 * missing variable is an error at the field's path naming the variable.
 */
const secret = (env: Env) =>
  z
    .union([z.string(), z.object({ env: z.unknown() }).passthrough()], {
      error: (i) => (i.input === undefined ? 'required' : 'must be a string or { env: VARIABLE_NAME }'),
    })
    .transform((v, ctx) => {
      if (typeof v === 'string') {
        if (v.length === 0) ctx.addIssue({ code: 'custom', message: 'must not be empty' });
        return v;
      }
      const extra = Object.keys(v).filter((k) => k !== 'env');
      if (extra.length > 0 || typeof v.env !== 'string' || !ENV_NAME.test(v.env)) {
        ctx.addIssue({ code: 'custom', message: 'must be a string or { env: VARIABLE_NAME }' });
        return z.NEVER;
      }
      const value = env[v.env];
      if (value === undefined || value === '') {
        ctx.addIssue({ code: 'custom', message: `environment variable ${v.env} is not set` });
        return z.NEVER;
      }
      return value;
    });

const codecList = () =>
  z
    .array(z.string(), { error: 'must be a list of codec names' })
    .min(1, 'must name at least one codec')
    .transform((list, ctx) => {
      const out: string[] = [];
      list.forEach((c, i) => {
        const f = codecRegistry.get(c);
        if (!f) {
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `unknown codec ${JSON.stringify(c)} (have ${codecRegistry.names().join(', ')})`,
          });
        } else if (out.includes(f.name)) {
          ctx.addIssue({ code: 'custom', path: [i], message: `${f.name} is listed twice` });
        } else out.push(f.name);
      });
      return out;
    });

const callerId = () => z.strictObject({ number: dial(), name: text().optional() });

// ---- sip ------------------------------------------------------------------------------

const tlsFiles = (env: Env, baseDir: string) =>
  z.strictObject({
    certFile: path(baseDir),
    keyFile: path(baseDir),
    caFile: path(baseDir).optional(),
    passphrase: secret(env).optional(),
  });

function transport(env: Env, baseDir: string) {
  const common = { address: address().default(D.sip.address), publicAddress: address().optional() };
  const ws = {
    path: z
      .string()
      .regex(/^\/[^\s]*$/, 'must be an HTTP path starting with /')
      .default(D.sip.wsPath),
    origins: z.array(text(512)).default([]),
  };
  const portOf = (t: keyof typeof D.sip.ports) => port().default(D.sip.ports[t]);
  return z.discriminatedUnion(
    'type',
    [
      z.strictObject({
        type: z.literal('udp'),
        port: portOf('udp'),
        ...common,
        receiveBufferSize: int(65_536, 256 << 20, 'must be a byte count from 65536 to 268435456').default(
          D.sip.udpReceiveBufferSize,
        ),
        ioThread: bool().default(D.sip.udpIoThread),
      }),
      z.strictObject({ type: z.literal('tcp'), port: portOf('tcp'), ...common }),
      z.strictObject({ type: z.literal('tls'), port: portOf('tls'), ...common, tls: tlsFiles(env, baseDir) }),
      z.strictObject({ type: z.literal('ws'), port: portOf('ws'), ...common, ...ws }),
      z.strictObject({
        type: z.literal('wss'),
        port: portOf('wss'),
        ...common,
        ...ws,
        tls: tlsFiles(env, baseDir),
      }),
    ],
    { error: (i) => (i.input === undefined ? 'required' : 'must be one of udp, tcp, tls, ws, wss') },
  );
}

function sip(env: Env, baseDir: string) {
  return z
    .strictObject({
      transports: z
        .array(transport(env, baseDir))
        .min(1, 'must list at least one transport')
        .default(() =>
          D.sip.transports.map((t) => ({
            ...t,
            address: D.sip.address,
            port: D.sip.ports[t.type],
            receiveBufferSize: D.sip.udpReceiveBufferSize,
            ioThread: D.sip.udpIoThread,
          })),
        ),
      domain: z
        .string()
        .refine((s) => isIP(s) !== 0 || HOST_NAME.test(s), 'must be a host name or an IP address')
        .optional(),
      realm: text().optional(),
      userAgent: text().default(D.sip.userAgent),
      timers: z
        .strictObject({
          t1Ms: duration(60_000).default(D.sip.timers.t1Ms),
          t2Ms: duration(60_000).default(D.sip.timers.t2Ms),
          t4Ms: duration(60_000).default(D.sip.timers.t4Ms),
        })
        .default({ ...D.sip.timers })
        .refine((t) => t.t1Ms > 0 && t.t2Ms >= t.t1Ms, { message: 'need 0 < t1Ms <= t2Ms', path: ['t2Ms'] }),
      registration: z
        .strictObject({
          minExpires: int(1, 86_400).default(D.sip.registration.minExpires),
          maxExpires: int(1, 604_800).default(D.sip.registration.maxExpires),
          defaultExpires: int(1, 604_800).default(D.sip.registration.defaultExpires),
        })
        .default({ ...D.sip.registration })
        .refine((r) => r.minExpires <= r.defaultExpires && r.defaultExpires <= r.maxExpires, {
          message: 'need minExpires <= defaultExpires <= maxExpires',
          path: ['defaultExpires'],
        }),
    })
    .transform((s) => {
      const named = s.transports.find((t) => t.address !== '0.0.0.0' && t.address !== '::');
      const domain = s.domain ?? named?.address ?? D.sip.domain;
      return { ...s, domain, realm: s.realm ?? domain };
    });
}

// ---- media ----------------------------------------------------------------------------

const WORKERS_MSG = "must be 'auto' or an integer 1-256";

const media = () =>
  z.strictObject({
    workers: z
      .union([z.literal('auto'), z.int().min(1, WORKERS_MSG).max(256, WORKERS_MSG)], { error: WORKERS_MSG })
      .default(D.media.workers),
    address: address().default(D.media.address),
    publicAddress: address().optional(),
    rtpPorts: z
      .strictObject({
        min: int(1024, 65534, 'must be 1024-65534'),
        max: int(1025, 65535, 'must be 1025-65535'),
      })
      .default({ ...D.media.rtpPorts })
      .superRefine((r, ctx) => {
        if (r.min % 2 !== 0)
          ctx.addIssue({
            code: 'custom',
            path: ['min'],
            message: 'must be even (RTP takes the even port, RTCP the odd one)',
          });
        if (r.max - r.min < 3)
          ctx.addIssue({
            code: 'custom',
            path: ['max'],
            message: 'must be at least min + 3 (room for one call leg)',
          });
      }),
    codecs: codecList().default([...D.media.codecs]),
    dtmf: z
      .enum(['rfc4733', 'inband', 'info'], { error: 'must be rfc4733, inband or info' })
      .default(D.media.dtmf),
    ptimeMs: z
      .union([z.literal(10), z.literal(20), z.literal(30), z.literal(40), z.literal(60)], {
        error: 'must be 10, 20, 30, 40 or 60',
      })
      .default(D.media.ptimeMs),
    rtpTimeoutMs: duration().default(D.media.rtpTimeoutMs),
    toneRegion: z
      .enum(TONE_REGIONS, { error: `must be one of ${TONE_REGIONS.join(', ')}` })
      .default(D.media.toneRegion),
    jitter: z
      .strictObject({
        mode: z
          .enum(['adaptive', 'fixed'], { error: 'must be adaptive or fixed' })
          .default(D.media.jitter.mode),
        minDelayMs: duration(10_000).default(D.media.jitter.minDelayMs),
        maxDelayMs: duration(10_000).default(D.media.jitter.maxDelayMs),
        delayMs: duration(10_000).optional(),
      })
      .default({ ...D.media.jitter })
      .refine((j) => j.minDelayMs <= j.maxDelayMs, {
        message: 'must be >= minDelayMs',
        path: ['maxDelayMs'],
      }),
  });

// ---- users, routes, trunks, applications ----------------------------------------------

const user = (env: Env) =>
  z.strictObject({
    extension: extension(),
    name: text().optional(),
    password: secret(env),
    maxDevices: int(1, 100).default(D.user.maxDevices),
    voicemail: bool().default(D.user.voicemail),
    voicemailPin: secret(env)
      .refine((p) => /^[0-9]{4,12}$/.test(p), 'must be 4-12 digits')
      .optional(),
    ringTimeoutMs: duration(600_000).default(D.user.ringTimeoutMs),
    callerId: callerId().optional(),
    enabled: bool().default(D.user.enabled),
  });

const MATCH_KEYS = ['exact', 'prefix', 'pattern', 'regex'] as const;
const TARGET_KEYS = ['extension', 'trunk', 'application', 'queue'] as const;

const target = {
  extension: extension().optional(),
  trunk: name().optional(),
  application: name().optional(),
  queue: name().optional(),
};

function targetOf(v: Partial<Record<(typeof TARGET_KEYS)[number], string>>): RouteTarget | undefined {
  if (v.extension !== undefined) return { kind: 'extension', extension: v.extension };
  if (v.trunk !== undefined) return { kind: 'trunk', trunk: v.trunk };
  if (v.application !== undefined) return { kind: 'application', application: v.application };
  if (v.queue !== undefined) return { kind: 'queue', queue: v.queue };
  return undefined;
}

/** Reports unless exactly one of `keys` is present. */
function exactlyOne(
  v: Record<string, unknown>,
  keys: readonly string[],
  ctx: z.RefinementCtx,
  what: string,
): boolean {
  const present = keys.filter((k) => v[k] !== undefined);
  if (present.length === 1) return true;
  ctx.addIssue({
    code: 'custom',
    path: present.length > 1 ? [present[1] as string] : [],
    message:
      present.length === 0
        ? `needs ${what}: one of ${keys.join(', ')}`
        : `has both ${present.join(' and ')}; give exactly one of ${keys.join(', ')}`,
  });
  return false;
}

const route = () =>
  z
    .strictObject({
      name: text(128).optional(),
      exact: dial().optional(),
      prefix: dial().optional(),
      pattern: z.union([z.string(), z.int().nonnegative()]).transform(String).optional(),
      regex: text(1024).optional(),
      ...target,
      strip: int(0, 32).default(D.route.strip),
      prepend: z
        .union([z.string(), z.int().nonnegative()])
        .transform(String)
        .refine((s) => /^[0-9*#+]{0,32}$/.test(s), 'must be digits, * # + (at most 32)')
        .default(D.route.prepend),
      from: z
        .enum(['users', 'trunks', 'any'], { error: 'must be users, trunks or any' })
        .default(D.route.from),
    })
    .transform((r, ctx) => {
      const okMatch = exactlyOne(r, MATCH_KEYS, ctx, 'a match');
      const okTarget = exactlyOne(r, TARGET_KEYS, ctx, 'a target');
      if (!okMatch || !okTarget) return z.NEVER;
      const kind = MATCH_KEYS.find((k) => r[k] !== undefined) as RouteMatch['kind'];
      const match = { kind, value: r[kind] as string } as RouteMatch;
      try {
        compileMatch(match);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: [kind], message: (err as Error).message });
        return z.NEVER;
      }
      const out = {
        match,
        target: targetOf(r) as RouteTarget,
        strip: r.strip,
        prepend: r.prepend,
        from: r.from,
      };
      return r.name === undefined ? out : { name: r.name, ...out };
    });

const did = () =>
  z
    .strictObject({
      number: dial(),
      extension: target.extension,
      application: target.application,
      queue: target.queue,
    })
    .transform((d, ctx) => {
      if (!exactlyOne(d, ['extension', 'application', 'queue'], ctx, 'a target')) return z.NEVER;
      return { number: d.number, target: targetOf(d) as Exclude<RouteTarget, { kind: 'trunk' }> };
    });

const trunk = (env: Env) =>
  z
    .strictObject({
      name: name(),
      registrar: sipUri(),
      proxy: sipUri().optional(),
      transport: z
        .enum(['udp', 'tcp', 'tls'], { error: 'must be udp, tcp or tls' })
        .default(D.trunk.transport),
      username: text().optional(),
      authUsername: text().optional(),
      password: secret(env).optional(),
      realm: text().optional(),
      register: bool().default(D.trunk.register),
      expires: int(60, 86_400).default(D.trunk.expires),
      fromDomain: address().optional(),
      callerId: callerId().optional(),
      dids: z.array(did()).default([]),
      maxChannels: int(1, 100_000).optional(),
      codecs: codecList().optional(),
      enabled: bool().default(D.trunk.enabled),
    })
    .superRefine((t, ctx) => {
      if (!t.register) return;
      if (t.username === undefined)
        ctx.addIssue({ code: 'custom', path: ['username'], message: 'required when register is true' });
      if (t.password === undefined)
        ctx.addIssue({ code: 'custom', path: ['password'], message: 'required when register is true' });
    });

const application = () =>
  z.discriminatedUnion(
    'type',
    [
      z.strictObject({
        type: z.literal('echo'),
        name: name(),
        maxDurationMs: duration().default(D.application.echoMaxDurationMs),
      }),
      z
        .strictObject({
          type: z.literal('playback'),
          name: name(),
          tone: z.enum(TONE_NAMES, { error: `must be one of ${TONE_NAMES.join(', ')}` }).optional(),
          prompt: z
            .string()
            .refine(isPromptName, 'must be a prompt of the catalogue (docs/tones-and-prompts.md)')
            .optional(),
          region: z.enum(TONE_REGIONS, { error: `must be one of ${TONE_REGIONS.join(', ')}` }).optional(),
          durationMs: duration().default(D.application.playbackDurationMs),
        })
        .superRefine((a, ctx) => {
          exactlyOne(a, ['tone', 'prompt'], ctx, 'something to play');
        }),
      z.strictObject({
        type: z.literal('hangup'),
        name: name(),
        status: int(400, 699, 'must be a SIP status 400-699').default(D.application.hangupStatus),
        reason: text().optional(),
      }),
    ],
    { error: (i) => (i.input === undefined ? 'required' : 'must be one of echo, playback, hangup') },
  );

// ---- call center ----------------------------------------------------------------------

const STRATEGIES = Object.keys(BUILT_IN_STRATEGIES) as [BuiltInStrategyName, ...BuiltInStrategyName[]];
const proficiency = () => int(1, 5, 'must be a proficiency 1-5');

const overflowAction = () =>
  z.discriminatedUnion(
    'type',
    [
      z.strictObject({ type: z.literal('queue'), queue: name() }),
      z.strictObject({ type: z.literal('callback') }),
      z.strictObject({
        type: z.literal('add-agents'),
        skill: text(64),
        minProficiency: proficiency().optional(),
      }),
      z.strictObject({ type: z.literal('exit'), reason: text(64).optional() }),
    ],
    {
      error: (i) => (i.input === undefined ? 'required' : 'must be one of queue, callback, add-agents, exit'),
    },
  );

const queue = () =>
  z
    .strictObject({
      id: name(),
      name: text().optional(),
      strategy: z.enum(STRATEGIES, { error: `must be one of ${STRATEGIES.join(', ')}` }).optional(),
      priority: z.number().optional(),
      waitOffsetMs: duration().optional(),
      skills: z.array(z.strictObject({ skill: text(64), min: proficiency().optional() })).optional(),
      relaxation: z
        .array(
          z.strictObject({
            afterMs: duration(),
            lowerMinBy: int(0, 4).optional(),
            drop: z
              .union([z.literal('*'), z.array(text(64))], { error: "must be '*' or a list of skills" })
              .optional(),
          }),
        )
        .optional(),
      serviceLevel: z
        .strictObject({
          thresholdMs: duration().optional(),
          target: z.number().gt(0, 'must be in (0, 1]').max(1, 'must be in (0, 1]').optional(),
          leadMs: duration().optional(),
          minCalls: int(0, 1_000_000).optional(),
        })
        .optional(),
      maxWaitMs: duration().optional(),
      maxLength: int(1, 1_000_000).optional(),
      wrapUpMs: duration().optional(),
      offerTimeoutMs: duration().optional(),
      overflow: z
        .array(
          z.strictObject({
            when: z.union(
              [z.literal('sla-at-risk'), z.literal('full'), z.strictObject({ waitMs: duration() })],
              {
                error: "must be 'sla-at-risk', 'full' or { waitMs }",
              },
            ),
            action: overflowAction(),
          }),
        )
        .optional(),
      joinWhenEmpty: bool().optional(),
      leaveWhenEmpty: bool().optional(),
      emptyWhen: z
        .enum(['no-agents-logged-in', 'no-agents-unpaused'], {
          error: 'must be no-agents-logged-in or no-agents-unpaused',
        })
        .optional(),
      hours: z
        .strictObject({
          timeZone: text(64).optional(),
          weekly: z.array(
            z.strictObject({
              days: z
                .array(int(0, 6, 'must be a weekday 0 (Sunday) - 6 (Saturday)'))
                .min(1, 'must name a day'),
              open: z.string(),
              close: z.string(),
            }),
          ),
          closedDates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD')).optional(),
        })
        .superRefine((h, ctx) => {
          try {
            compileBusinessHours(h);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
          }
        })
        .optional(),
      dispositions: z
        .strictObject({ codes: z.array(text(64)).min(1), required: bool().optional() })
        .optional(),
      ahtMs: duration().optional(),
      callback: z
        .strictObject({ maxAttempts: int(1, 100).optional(), retryDelayMs: duration().optional() })
        .optional(),
    })
    .superRefine((q, ctx) => {
      if (q.overflow?.some((o) => o.when === 'full' && o.action.type !== 'queue')) {
        const i = q.overflow.findIndex((o) => o.when === 'full' && o.action.type !== 'queue');
        ctx.addIssue({
          code: 'custom',
          path: ['overflow', i, 'action'],
          message: "a 'full' rule can only overflow to a queue",
        });
      }
    });

const agent = () =>
  z
    .strictObject({
      extension: extension(),
      id: name().optional(),
      name: text().optional(),
      skills: z.record(z.string().min(1).max(64), proficiency()).optional(),
      queues: z
        .array(
          z.union(
            [
              name(),
              z.strictObject({
                queue: name(),
                order: z.int().optional(),
                weight: z.number().positive().optional(),
              }),
            ],
            {
              error: 'must be a queue id or { queue, order?, weight? }',
            },
          ),
        )
        .default([]),
      maxConcurrent: int(1, 100).optional(),
      weight: z.number().positive('must be > 0').optional(),
    })
    .transform((a) => ({ ...a, id: a.id ?? a.extension }));

const acd = () =>
  z.strictObject({
    rejectDelayMs: duration().optional(),
    maxMissedOffers: int(0, 1000).optional(),
    maxWrapUpMs: duration()
      .refine((v) => v > 0, 'must be > 0')
      .optional(),
    statsWindowMs: duration()
      .refine((v) => v > 0, 'must be > 0')
      .optional(),
    tickMs: duration()
      .refine((v) => v > 0, 'must be > 0')
      .optional(),
  });

// ---- the whole file -------------------------------------------------------------------

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The schema of the configuration file, resolving `{ env }` secrets from `env` and paths against `baseDir`. */
export function buildConfigSchema(env: Env, baseDir: string) {
  return z.strictObject({
    sip: sip(env, baseDir).default(() => sip(env, baseDir).parse({})),
    media: media().default(() => media().parse({})),
    users: z.array(user(env)).default([]),
    routes: z.array(route()).default([]),
    trunks: z.array(trunk(env)).default([]),
    applications: z.array(application()).default([]),
    queues: z.array(queue()).default([]),
    agents: z.array(agent()).default([]),
    acd: acd().default({}),
    storage: z
      .strictObject({
        driver: z.enum(['sqlite', 'memory'], { error: 'must be sqlite or memory' }).default(D.storage.driver),
        dataDir: path(baseDir).default(resolve(baseDir, D.storage.dataDir)),
        file: z
          .string()
          .regex(/^[^/\\]+$/, 'must be a file name (no directory)')
          .default(D.storage.file),
      })
      .default({
        driver: D.storage.driver,
        dataDir: resolve(baseDir, D.storage.dataDir),
        file: D.storage.file,
      }),
    logging: z
      .strictObject({
        level: z
          .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
          .default(D.logging.level),
      })
      .default({ level: D.logging.level }),
    drain: z
      .strictObject({ timeoutMs: duration().default(D.drain.timeoutMs) })
      .default({ timeoutMs: D.drain.timeoutMs }),
    demo: bool().default(D.demo),
  });
}

export const LOG_LEVEL_NAMES: readonly string[] = LOG_LEVELS;

// The schema's output must be a SwitchConfig (checked by the compiler, not at run time).
type Output = z.output<ReturnType<typeof buildConfigSchema>>;
export const schemaOutputIsSwitchConfig = (o: Output): SwitchConfig => o;
