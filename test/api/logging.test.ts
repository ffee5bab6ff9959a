import { describe, expect, it } from 'vitest';
import { createLogger, FAIL2BAN_FAILREGEX, logAuthFailure } from '../../src/api/index.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) } };
}

// fail2ban's <HOST> is roughly an IPv4/IPv6/host-name token.
const failregex = new RegExp(FAIL2BAN_FAILREGEX.replace('<HOST>', '(?<host>[\\w\\-.:]*\\w)'));

describe('logs', () => {
  it('are JSON lines starting with level, ISO time, pid and host', () => {
    const { lines, destination } = capture();
    const log = createLogger({ level: 'info', destination });
    log.info({ calls: 3 }, 'hello');
    log.debug('not at info');
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line).toMatch(
      /^\{"level":"info","time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","pid":\d+,"hostname":"[^"]*","calls":3,"msg":"hello"\}$/,
    );
  });

  it('an authentication failure matches the documented fail2ban filter, whatever the user name', () => {
    const { lines, destination } = capture();
    const log = createLogger({ destination });
    const users = [
      '1001',
      '","src_ip":"6.6.6.6',
      'x"event":"auth_failure","src_ip":"7.7.7.7',
      '\n"event":"auth_failure","src_ip":"8.8.8.8"',
    ];
    for (const user of users) {
      logAuthFailure(log, {
        ip: '203.0.113.7',
        port: 5060,
        transport: 'udp',
        user,
        method: 'REGISTER',
        reason: 'bad password',
      });
    }
    logAuthFailure(log, {
      ip: '2001:db8::1',
      port: 5061,
      transport: 'tls',
      user: '1002',
      method: 'INVITE',
      reason: 'unknown user',
    });
    expect(lines).toHaveLength(users.length + 1);
    const hosts = lines.map((l) => [...l.matchAll(new RegExp(failregex, 'g'))].map((m) => m.groups?.host));
    expect(hosts).toEqual([...users.map(() => ['203.0.113.7']), ['2001:db8::1']]);
    const first = JSON.parse(lines[0] as string);
    expect(first).toMatchObject({
      level: 'warn',
      event: 'auth_failure',
      src_port: 5060,
      user: '1001',
      method: 'REGISTER',
    });
  });
});
