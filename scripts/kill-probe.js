#!/usr/bin/env node
/**
 * The kill -9 probe (issue 27, "Must show"): a tiny study, run once whole, then run again and
 * again killed with SIGKILL -
 *   - inside the atomic write of each file the study writes (the test hook of
 *     src/core/atomic-write.ts, GRADSCOPE_TEST_KILL_WRITING: part of the bytes on disk, killed
 *     before the rename), once per file name, and
 *   - at random moments, of the first run and of its resumes (a resume is killed again with
 *     probability 1/2, so kills land during resumes too),
 * each time resumed with --resume until it finishes. Every finished run must hold the same
 * results as the whole one (checkpoints and other binary files byte for byte, JSON without
 * its timings, metrics.jsonl as a set of records) and no temporary file or lock.
 *
 *   node scripts/kill-probe.js [--minutes 9] [--seed 1] [--keep DIR]
 *
 * Needs the TypeScript built (dist/). Prints one line per trial and a summary; exit 1 on any
 * difference.
 */
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const CLI = path.join(__dirname, '..', 'bin', 'gradscope.js');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
};
const budgetMs = Number(arg('minutes', '9')) * 60_000;
let state = Number(arg('seed', '1')) >>> 0 || 1;
/** xorshift32: the probe's kill times, reproducible from --seed. */
const random = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 2 ** 32;
};
const root = arg('keep', fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-kill-probe-')));
fs.mkdirSync(root, { recursive: true });

// ---- the study: MNIST-shaped IDX files, a small network with batch norm and dropout, and
// every piece (Experiment B at each epoch, a line, sharpness with density and layers, the
// trajectory, the report)
function idx(file, dims, bytes) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE((dims.length === 1 ? 0x0801 : 0x0803) >>> 0, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  fs.writeFileSync(file, Buffer.concat([header, Buffer.from(bytes)]));
}
function split(dir, prefix, count, salt) {
  const pixels = Uint8Array.from(
    { length: count * 784 },
    (_, i) => (i * 31 + salt * 17 + ((i * i) % 97)) % 256,
  );
  const labels = Uint8Array.from({ length: count }, (_, i) => (i * 7 + salt) % 10);
  idx(path.join(dir, `${prefix}-images-idx3-ubyte`), [count, 28, 28], pixels);
  idx(path.join(dir, `${prefix}-labels-idx1-ubyte`), [count], labels);
}
const data = path.join(root, 'data');
fs.mkdirSync(data, { recursive: true });
split(data, 'train', 300, 1);
split(data, 't10k', 60, 2);
const network = path.join(root, 'probe-net.json');
fs.writeFileSync(
  network,
  JSON.stringify({
    name: 'probe-net',
    input: [1, 28, 28],
    classes: 10,
    layers: [
      { type: 'flatten' },
      { type: 'linear', out: 16, bias: false },
      { type: 'batchnorm1d' },
      { type: 'relu' },
      { type: 'dropout', p: 0.1 },
      { type: 'linear', out: 10 },
    ],
  }),
);
const config = path.join(root, 'study.json');
fs.writeFileSync(
  config,
  JSON.stringify({
    name: 'kill probe',
    scale: 'demo',
    network,
    data,
    seeds: [0],
    process1: { batchSize: 10, epochs: 3 },
    process2: { arms: [10, 50], epochs: 2 },
    analysis: {
      every: 1,
      batchSizes: [10, 50],
      armEvery: 1,
      armBatchSizes: [10, 50],
      samples: 5,
      mode: 'population',
      draws: 'nested',
      layers: true,
    },
    lines: { alpha: '-1:2:7', bn: 'recalibrate', sampleSize: 100 },
    sharpness: {
      eps: [0.001],
      subspace: 3,
      iterations: 2,
      topK: 1,
      hutchinson: 4,
      hessianSample: 50,
      density: { probes: 1, steps: 4 },
      layers: true,
    },
    trajectory: { points: 4, sampleSize: 100, evalSize: 100 },
  }),
);

/** One gradscope run; SIGKILL after `killMs` when given. Resolves with how it ended. */
function run(out, { resume = false, killMs, env = {} } = {}) {
  return new Promise((resolve) => {
    const args = [
      'run',
      config,
      '--out',
      out,
      '--threads',
      '1',
      '--quiet',
      ...(resume ? ['--resume'] : []),
    ];
    const child = spawn(process.execPath, [CLI, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...env },
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const started = Date.now();
    const timer =
      killMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), killMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, ms: Date.now() - started });
    });
  });
}

// ---- what "the same results" means
const NOT_RESULTS = /seconds|persecond|^runDir$/i;
function withoutTimes(value) {
  if (Array.isArray(value)) return value.map(withoutTimes);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !NOT_RESULTS.test(k))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([k, v]) => [k, withoutTimes(v)]),
    );
  return value;
}
const allFiles = (dir) =>
  fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath ?? e.path, e.name)))
    .sort();
// timings live in logs, TensorBoard events and the rendered report; the rest are results
const resultFiles = (dir) =>
  allFiles(dir).filter(
    (f) => !/^(logs|locks|tensorboard)\//.test(f) && !/\.(html|svg|png|md|csv)$/.test(f),
  );
const TEMPORARY = /(^|\/)\..+\.tmp-\d+-[0-9a-f]{12}$/;

/** The differences of `got` from the whole run, and what was left behind ([] when none). */
function differences(got, want) {
  const problems = [];
  const left = allFiles(got).filter((f) => TEMPORARY.test(f) || f.endsWith('.lock'));
  if (left.length) problems.push(`left behind: ${left.join(', ')}`);
  const a = resultFiles(got);
  const b = resultFiles(want);
  const missing = b.filter((f) => !a.includes(f));
  const extra = a.filter((f) => !b.includes(f));
  if (missing.length) problems.push(`missing: ${missing.join(', ')}`);
  if (extra.length) problems.push(`extra: ${extra.join(', ')}`);
  for (const f of b.filter((f) => a.includes(f))) {
    const [x, y] = [path.join(got, f), path.join(want, f)];
    let same;
    if (f.endsWith('.jsonl')) {
      const records = (file) =>
        fs
          .readFileSync(file, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.stringify(withoutTimes(JSON.parse(l))))
          .sort()
          .join('\n');
      same = records(x) === records(y);
    } else if (f.endsWith('.json')) {
      const read = (file) =>
        JSON.stringify(withoutTimes(JSON.parse(fs.readFileSync(file, 'utf8'))));
      same = read(x) === read(y);
    } else same = fs.readFileSync(x).equals(fs.readFileSync(y));
    if (!same) problems.push(`differs: ${f}`);
  }
  return problems;
}

async function main() {
  const started = Date.now();
  const whole = path.join(root, 'whole');
  const first = await run(whole);
  if (first.code !== 0) throw new Error(`the whole run failed: ${first.stderr}`);
  const wholeMs = first.ms;
  // the names the study writes atomically: every result file's, and config.json's
  const names = [
    ...new Set(
      resultFiles(whole)
        .filter((f) => !f.endsWith('.jsonl'))
        .map((f) => path.basename(f)),
    ),
  ];
  console.log(
    `whole run: ${(wholeMs / 1000).toFixed(1)} s, ${names.length} file names written atomically; budget ${budgetMs / 60000} min`,
  );

  const tally = { trials: 0, atRename: 0, random: 0, duringResume: 0, resumes: 0, failed: 0 };
  let trial = 0;
  const outOfTime = () => Date.now() - started > budgetMs - 2 * wholeMs;
  // one trial per file name (killed inside its write), then random kills while time is left
  for (let k = 0; !outOfTime(); k++) {
    const out = path.join(root, `trial-${++trial}`);
    const atName = k < names.length ? names[k] : undefined;
    const kills = [];
    let r;
    if (atName) {
      const bytes = String(Math.floor(random() * 64));
      r = await run(out, {
        env: { GRADSCOPE_TEST_KILL_WRITING: atName, GRADSCOPE_TEST_KILL_AFTER_BYTES: bytes },
      });
      if (r.signal === 'SIGKILL') {
        kills.push(`in the write of ${atName} after ${bytes} bytes`);
        tally.atRename++;
      }
    } else {
      const at = Math.floor(random() * wholeMs);
      r = await run(out, { killMs: at });
      if (r.signal === 'SIGKILL') {
        kills.push(`at ${at} ms`);
        tally.random++;
      }
    }
    // resume until it finishes, killing half of the resumes at a random moment
    for (let tries = 0; r.code !== 0 && tries < 20; tries++) {
      if (r.signal !== 'SIGKILL' && r.code !== null) break; // an error, not a kill
      tally.resumes++;
      const killAgain = random() < 0.5 && !outOfTime();
      const at = Math.floor(random() * wholeMs);
      // killed before its config.json landed, the directory holds no run: start it again
      const fresh = !fs.existsSync(path.join(out, 'config.json'));
      r = await run(out, { resume: !fresh, ...(killAgain ? { killMs: at } : {}) });
      if (r.signal === 'SIGKILL') {
        kills.push(`resume killed at ${at} ms`);
        tally.duringResume++;
      }
    }
    const problems =
      r.code === 0
        ? differences(out, whole)
        : [`ended with ${r.code ?? r.signal}: ${r.stderr.trim()}`];
    tally.trials++;
    if (problems.length) tally.failed++;
    console.log(
      `trial ${trial}: ${kills.join('; ') || 'finished before the kill'} -> ${problems.length ? `DIFFERS: ${problems.join('; ')}` : 'identical, nothing left behind'}`,
    );
    if (!arg('keep') && !problems.length) fs.rmSync(out, { recursive: true, force: true });
  }
  const total = tally.atRename + tally.random + tally.duringResume;
  console.log(
    `kill -9: ${total} kills (${tally.atRename} inside a write before its rename, ${tally.random} at random moments, ${tally.duringResume} during resumes) in ${tally.trials} trials, ${tally.resumes} resumes; ${tally.trials - tally.failed} of ${tally.trials} finished runs identical to the whole run with nothing left behind; ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (!arg('keep') && tally.failed === 0) fs.rmSync(root, { recursive: true, force: true });
  else console.log(`run directories: ${root}`);
  process.exitCode = tally.failed ? 1 : 0;
}

main().catch((error) => {
  console.error(`kill-probe: ${error.message}`);
  process.exitCode = 1;
});
