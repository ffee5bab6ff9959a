#!/usr/bin/env node
/**
 * The `strowger` command. Until the switch lands (issue 7) it prints its
 * version and help; the demo switch will be started from here.
 */
import { Command } from 'commander';
import { VERSION } from '../version.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('strowger')
    .description('Strowger softswitch: a SIP/RTP PBX and call-center switch')
    .version(VERSION, '-v, --version')
    .option('-c, --config <file>', 'switch configuration (YAML)')
    .option('--log-level <level>', 'log level', 'info')
    .action(() => {
      process.stdout.write(`strowger ${VERSION}\n`);
      process.stdout.write('The standalone switch is not built yet; run `strowger --help` for options.\n');
    });
  return program;
}

buildProgram().parse(process.argv);
