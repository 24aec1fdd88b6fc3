/**
 * SIGTERM inside a study's analysis pieces (issue 27, item 6): a line piece stops within one
 * line point, a sharpness piece within one Hessian-vector product, each saying where and how
 * to resume, exiting 143 and writing nothing of the piece; the resumed piece ends equal to an
 * uninterrupted one. (Before, the signal waited for the piece to end: a line ran on and the
 * command exited 0.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { cli, gradscope, writeNetworkFile } from '../fixtures/cli-fixtures';
import { tempDir, writeIdxFolder } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';
import { withoutTimes } from '../fixtures/study-compare';

const dir = tempDir('gradscope-stop-pieces-');
const data = path.join(dir, 'data');
fs.mkdirSync(data);
writeIdxFolder(data, false, [1000, 200]);
const configFile = path.join(dir, 'study.json');
fs.writeFileSync(
  configFile,
  JSON.stringify({
    name: 'stop in pieces',
    scale: 'demo',
    network: writeNetworkFile(
      dir,
      mnistNetwork('stopnet', { out: 16, bias: false, batchNorm: true }),
    ),
    data,
    seeds: [0],
    process1: { batchSize: 50, epochs: 1 },
    process2: { arms: [50, 100], epochs: 1 },
    analysis: {
      every: 1,
      batchSizes: [50],
      armEvery: 1,
      armBatchSizes: [50],
      samples: 2,
      mode: 'population',
    },
    // a few seconds each: 200 line points; 600 Hutchinson products after a one-iteration Keskar
    lines: { alpha: '-1:2:200', bn: 'recalibrate', sampleSize: 1000 },
    sharpness: {
      eps: [0.001],
      subspace: 0,
      iterations: 1,
      topK: 0,
      hutchinson: 600,
      hessianSample: 1000,
    },
  }),
);
const piece = (out: string, name: string) => [
  ...['run', configFile, '--out', out, '--only', name, '--threads', '1'],
];

// the trained arms both tests start from, copied for each run
const trained = path.join(dir, 'trained');
const training = gradscope(
  ...piece(trained, 'seed-0.process1,seed-0.arm-50,seed-0.arm-100'),
  '--quiet',
);
const copyOfTrained = (name: string) => {
  const out = path.join(dir, name);
  fs.cpSync(trained, out, { recursive: true });
  return out;
};

/** Starts gradscope, sends SIGTERM `delay` ms after its stderr first matches `ready`. */
function runAndStop(
  args: string[],
  ready: RegExp,
  delay: number,
): Promise<{ status: number | null; stderr: string; afterSignal: number }> {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  let sent = 0;
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (!sent && ready.test(stderr)) {
      sent = -1;
      setTimeout(() => {
        sent = Date.now();
        child.kill('SIGTERM');
      }, delay);
    }
  });
  return new Promise((resolve) =>
    child.on('exit', (status) => resolve({ status, stderr, afterSignal: Date.now() - sent })),
  );
}

/** No file of the piece, no temporary file, no lock held. */
function nothingLeft(out: string, pieceFiles: string): void {
  const files = fs.readdirSync(out, { recursive: true }).map(String);
  assert.deepEqual(
    files.filter((f) => f.startsWith(pieceFiles) && f !== pieceFiles),
    [],
    'nothing of the stopped piece is written',
  );
  assert.deepEqual(
    files.filter((f) => /\.tmp-|\.lock$/.test(f)),
    [],
    'no temporary file or lock left',
  );
}

/** The piece's one result file in the two run directories holds the same results. */
function sameResult(got: string, want: string, folder: string): void {
  const [file, ...others] = fs.readdirSync(path.join(want, folder));
  assert.ok(file !== undefined && others.length === 0, `one file in ${folder}`);
  const read = (out: string) =>
    withoutTimes(JSON.parse(fs.readFileSync(path.join(out, folder, file), 'utf8')));
  assert.deepEqual(fs.readdirSync(path.join(got, folder)), [file]);
  assert.deepEqual(read(got), read(want));
}

/** Runs the printed resume command as printed (these paths need no quoting). */
function resumeAsPrinted(stderr: string): void {
  const resume = /^gradscope: resume with: gradscope (.*)$/m.exec(stderr);
  assert.ok(resume, stderr);
  assert.match(resume[1]!, / --resume$/);
  const again = gradscope(...resume[1]!.split(' '), '--quiet');
  assert.equal(again.status, 0, again.stderr);
}

test('SIGTERM inside a line piece stops it within one point; the resumed line is exact', async () => {
  assert.equal(training.status, 0, training.stderr);
  const name = 'seed-0.line-arm-50-arm-100';
  const whole = copyOfTrained('line-whole');
  const once = gradscope(...piece(whole, name), '--quiet');
  assert.equal(once.status, 0, once.stderr);

  const stopped = copyOfTrained('line-stopped');
  // the first progress line comes after the first point: the line is under way
  const r = await runAndStop(piece(stopped, name), /line arm-50 -> arm-100 1\/200/, 0);
  assert.equal(r.status, 143, r.stderr);
  const point =
    /^gradscope: the line arm-50 -> arm-100 of seed 0 stopped by SIGTERM at point (\d+) of 200 \(alpha [-\d.e]+\); nothing of it is written \(a resume redoes it\)$/m.exec(
      r.stderr,
    );
  assert.ok(point, r.stderr);
  assert.ok(Number(point[1]) < 200, `stopped at point ${point[1]}`);
  console.log(`line: stopped at point ${point[1]} of 200, exit ${r.afterSignal} ms after SIGTERM`);
  nothingLeft(stopped, 'lines');
  resumeAsPrinted(r.stderr);
  sameResult(stopped, whole, 'lines');
});

test('SIGTERM inside a sharpness piece stops it within one Hessian-vector product; the resumed result is exact', async () => {
  assert.equal(training.status, 0, training.stderr);
  const name = 'seed-0.sharpness-arm-50';
  const whole = copyOfTrained('sharpness-whole');
  const once = gradscope(...piece(whole, name), '--quiet');
  assert.equal(once.status, 0, once.stderr);

  const stopped = copyOfTrained('sharpness-stopped');
  // the first progress line starts the measurement; Keskar's one iteration takes
  // milliseconds, the 600 products seconds: one second later the trace is under way
  const r = await runAndStop(piece(stopped, name), /sharpness of arm-50: random subspace/, 1000);
  assert.equal(r.status, 143, r.stderr);
  const product =
    /^gradscope: the sharpness of arm-50 of seed 0 stopped by SIGTERM before Hessian-vector product (\d+) of 600 \(Hutchinson's trace\); nothing of it is written \(a resume redoes it\)$/m.exec(
      r.stderr,
    );
  assert.ok(product, r.stderr);
  console.log(
    `sharpness: stopped before product ${product[1]} of 600, exit ${r.afterSignal} ms after SIGTERM`,
  );
  nothingLeft(stopped, 'sharpness');
  resumeAsPrinted(r.stderr);
  sameResult(stopped, whole, 'sharpness');
});
