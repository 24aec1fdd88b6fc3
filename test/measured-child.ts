/**
 * gradscope's command line in a child process whose peak resident memory and wall time
 * are measured, for the tests that hostile files fail fast and small: a preload prints
 * process.resourceUsage()'s maxRSS and CPU time on exit, and a hard timeout turns a hang
 * into a result. CPU time, unlike wall time, does not grow when other work shares the
 * machine's cores.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { cli } from './cli-fixtures';
import { tempDir } from './data-fixtures';

export interface MeasuredRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  seconds: number;
  /** User + system CPU seconds of the child (NaN if it died before printing them). */
  cpuSeconds: number;
  /** Peak resident memory in MB (NaN if the child died before printing it). */
  maxRssMb: number;
}

const preload = path.join(tempDir('gradscope-rss-'), 'rss.js');
fs.writeFileSync(
  preload,
  [
    "process.on('exit', () => {",
    '  const u = process.resourceUsage();',
    '  process.stderr.write(`maxRSS ${u.maxRSS} cpu ${u.userCPUTime + u.systemCPUTime}\\n`);',
    '});',
  ].join('\n'),
);

export function measuredGradscope(args: string[], timeoutSeconds = 20): MeasuredRun {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', preload, cli, ...args], {
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const usage = /maxRSS (\d+) cpu (\d+)\n/.exec(r.stderr ?? '');
  return {
    status: r.status,
    signal: r.signal,
    stderr: (r.stderr ?? '').replace(/maxRSS \d+ cpu \d+\n/, ''),
    seconds,
    cpuSeconds: usage ? Number(usage[2]) / 1e6 : NaN,
    maxRssMb: usage ? Number(usage[1]) / 1024 : NaN,
  };
}
