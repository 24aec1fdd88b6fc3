/**
 * gradscope's command line in a child process whose peak resident memory and wall time
 * are measured, for the tests that hostile files fail fast and small: a preload prints
 * process.resourceUsage()'s maxRSS and CPU time on exit, and a hard timeout turns a hang
 * into a result. CPU time, unlike wall time, does not grow when other work shares the
 * machine's cores.
 */
import assert from 'node:assert/strict';
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

/** `env` adds to (or overrides) this process's environment for the child. */
export function measuredGradscope(
  args: string[],
  timeoutSeconds = 20,
  env: Record<string, string> = {},
): MeasuredRun {
  const started = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['--require', preload, cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
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

/**
 * Asserts the run failed as a rejected input should: exit 2, one line naming `file` and
 * matching `problem`, fast and small (the bounds below: `cpuSecondsAtMost` only where a test
 * says why it needs more); `env` adds to the child's environment.
 */
export function assertFailsFastAndSmall(
  args: string[],
  file: string,
  problem: RegExp,
  env: Record<string, string> = {},
  timeoutSeconds = 20,
  cpuSecondsAtMost = 1.5,
): void {
  const run = measuredGradscope(args, timeoutSeconds, env);
  const lines = run.stderr.trim().split('\n');
  assert.equal(run.status, 2, `exit ${run.status} (signal ${run.signal}): ${run.stderr}`);
  assert.equal(lines.length, 1, `one line, got: ${run.stderr}`);
  assert.ok(lines[0]!.includes(file), `"${lines[0]}" should name ${file}`);
  assert.match(lines[0]!, problem);
  // quiet: 0.12-0.16 s for the crafted checkpoints, 0.69 s for the gzip bombs (through
  // `gradscope train`, whose start with libtorch is most of it); 1.12 s seen under a load of 6
  assert.ok(run.cpuSeconds < cpuSecondsAtMost, `took ${run.cpuSeconds.toFixed(2)} s of CPU time`);
  assert.ok(run.seconds < 5, `took ${run.seconds.toFixed(2)} s`);
  assert.ok(run.maxRssMb < 300, `peak resident memory ${run.maxRssMb.toFixed(0)} MB`);
  const took = `${run.seconds.toFixed(2)} s (${run.cpuSeconds.toFixed(2)} s CPU)`;
  console.log(`${path.basename(file)}: ${took}, ${run.maxRssMb.toFixed(0)} MB`);
}
