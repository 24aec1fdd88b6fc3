/**
 * gradscope's command line in a child process whose peak resident memory and wall time
 * are measured, for the tests that hostile files fail fast and small: a preload prints
 * process.resourceUsage().maxRSS on exit, and a hard timeout turns a hang into a result.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { cli } from './cli-fixtures';

export interface MeasuredRun {
  status: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  seconds: number;
  /** Peak resident memory in MB (NaN if the child died before printing it). */
  maxRssMb: number;
}

const preload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-rss-')), 'rss.js');
fs.writeFileSync(
  preload,
  "process.on('exit', () => process.stderr.write(`maxRSS ${process.resourceUsage().maxRSS}\\n`));\n",
);

export function measuredGradscope(args: string[], timeoutSeconds = 20): MeasuredRun {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', preload, cli, ...args], {
    encoding: 'utf8',
    timeout: timeoutSeconds * 1000,
    killSignal: 'SIGKILL',
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rss = /maxRSS (\d+)/.exec(r.stderr ?? '');
  return {
    status: r.status,
    signal: r.signal,
    stderr: (r.stderr ?? '').replace(/maxRSS \d+\n/, ''),
    seconds,
    maxRssMb: rss ? Number(rss[1]) / 1024 : NaN,
  };
}
