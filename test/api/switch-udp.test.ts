/** createSwitch and its UDP sockets: the receive buffer asked for, and the warning when the kernel gives less. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createLogger, createSwitch, parseConfig } from '../../src/api/index.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = {
    write: (s: string) => {
      for (const l of s.split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
    },
  };
  return { lines, logger: createLogger({ level: 'warn', destination }) };
}

const start = async (receiveBufferSize: number) => {
  const config = parseConfig(
    `sip: { transports: [{ type: udp, address: 127.0.0.1, port: 0, receiveBufferSize: ${receiveBufferSize} }] }\nstorage: { driver: memory }`,
    { env: {}, baseDir: '/tmp' },
  );
  const { lines, logger } = capture();
  const sw = await createSwitch(config, { logger, signallingOnly: true });
  await sw.close();
  return lines.filter((l) => String(l.msg).startsWith('UDP receive buffer is smaller'));
};

describe('the switch’s UDP receive buffer', () => {
  // Linux grants min(asked, net.core.rmem_max)
  const max = Number(readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));

  it('warns at start, naming the transport and both sizes, when the kernel grants less than configured', async () => {
    const asked = 256 << 20;
    const warnings = await start(asked);
    if (max >= asked) expect(warnings).toEqual([]);
    else
      expect(warnings).toEqual([
        expect.objectContaining({
          transport: expect.stringMatching(/^udp 127\.0\.0\.1:/),
          asked,
          granted: max,
        }),
      ]);
  });

  it('says nothing when it got what it asked for', async () => {
    expect(await start(Math.min(max, 128 * 1024))).toEqual([]);
  });
});
