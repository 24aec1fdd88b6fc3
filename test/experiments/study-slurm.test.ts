/**
 * --executor slurm (issue 16). Without Slurm: one line, a non-zero exit, nothing written.
 * --dry-run: the job scripts and submit.sh carry exactly the edges of --plan. With a real
 * Slurm (Debian's slurmctld, slurmd and munge, a one-node cluster on localhost started by
 * scripts/slurm-local.sh for this test and stopped after it by its pids): a small study
 * submitted as jobs ends with the results of a sequential local run, also when the job of
 * process 1 is killed with scancel mid-way and the study is submitted again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { after, test } from 'node:test';
import { readJobs } from '../../src/cli/slurm';
import { tempDir } from '../fixtures/data-fixtures';
import { assertSameStudy, gradscope } from '../fixtures/study-compare';
import { smallStudy } from '../fixtures/study-fixture';

const script = path.join(__dirname, '..', '..', '..', 'scripts', 'slurm-local.sh');
const { dir, configFile } = smallStudy();

test('without Slurm, --executor slurm says so in one line and writes nothing', async () => {
  const out = path.join(dir, 'no-slurm');
  const empty = tempDir('gradscope-path-');
  const child = spawnSync(
    process.execPath,
    [
      path.join(__dirname, '..', '..', '..', 'bin', 'gradscope.js'),
      ...['run', configFile, '--out', out, '--executor', 'slurm'],
    ],
    { encoding: 'utf8', env: { ...process.env, PATH: empty } },
  );
  assert.equal(child.status, 2);
  assert.equal(
    child.stderr,
    'gradscope: --executor slurm: no Slurm on this machine (sbatch is not on the PATH); --dry-run writes the job scripts without submitting\n',
  );
  assert.equal(fs.existsSync(out), false);
});

test('--dry-run writes job scripts whose dependency edges are those of --plan', async () => {
  const out = path.join(dir, 'dry-run');
  const planned = await gradscope(['run', configFile, '--plan']);
  const plan = new Map(
    planned.stdout
      .trim()
      .split('\n')
      .map((l) => {
        const [name, deps] = l.split(' after ');
        return [name!, (deps ? deps.split(', ') : []).sort()] as const;
      }),
  );
  const dry = await gradscope([
    ...['run', configFile, '--out', out, '--executor', 'slurm', '--dry-run'],
    ...['--slurm-partition', 'gpu', '--slurm-time', '02:00:00', '--slurm-gpus', '1'],
    ...['--slurm-account', 'lab', '--slurm-option=--qos=long', '--threads', '2'],
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(fs.existsSync(path.join(out, 'config.json')), false, 'nothing submitted');
  const slurm = path.join(out, 'slurm');
  // submit.sh: NAME=$(sbatch --parsable [--dependency=afterok:$A:$B ...] DIR/slurm/PIECE.sbatch)
  const variables = new Map<string, string>();
  const edges = new Map<string, string[]>();
  for (const line of fs.readFileSync(path.join(slurm, 'submit.sh'), 'utf8').split('\n')) {
    const m =
      /^(\w+)=\$\(sbatch --parsable (?:--dependency=afterok:(\S+) --kill-on-invalid-dep=yes )?(\S+)\.sbatch\)$/.exec(
        line,
      );
    if (!m) continue;
    const piece = path.basename(m[3]!);
    variables.set(`$${m[1]}`, piece);
    const deps = m[2] ? m[2].split(':').map((v) => variables.get(v)!) : [];
    edges.set(piece, deps.sort());
  }
  assert.deepEqual(edges, plan);
  for (const piece of plan.keys()) {
    const text = fs.readFileSync(path.join(slurm, `${piece}.sbatch`), 'utf8');
    for (const directive of [
      '--requeue',
      '--partition=gpu',
      '--time=02:00:00',
      '--gpus=1',
      '--account=lab',
      '--qos=long',
      '--cpus-per-task=2',
      `--output=${path.join(slurm, `${piece}-%j.log`)}`,
    ])
      assert.ok(text.includes(`#SBATCH ${directive}\n`), `${piece}: ${directive}`);
    const after = /^# gradscope piece (\S+); after: (.*)$/m.exec(text)!;
    assert.equal(after[1], piece);
    assert.deepEqual(after[2] === '(none)' ? [] : after[2]!.split(' ').sort(), plan.get(piece));
    assert.match(
      text,
      new RegExp(`--only ${piece.replace(/\./g, '\\.')} --resume --threads 2\\n$`),
    );
  }
});

/** A one-node Slurm for this file, or the reason it could not start. */
function startSlurm(): { root: string } | { reason: string } {
  const root = tempDir('gradscope-slurm-');
  const started = spawnSync('bash', [script, 'start', root], { encoding: 'utf8', timeout: 60_000 });
  if (started.status !== 0) {
    spawnSync('bash', [script, 'stop', root]);
    return {
      reason: `Slurm's daemons did not start here: ${(started.stderr || String(started.error)).trim().replace(/\s+/g, ' ')}`,
    };
  }
  process.env.SLURM_CONF = path.join(root, 'slurm.conf');
  after(() => spawnSync('bash', [script, 'stop', root]));
  return { root };
}

const slurm = startSlurm();

function squeue(): string[] {
  return spawnSync('squeue', ['-h', '-o', '%i'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.trim() !== '');
}

async function waitUntil(what: string, seconds: number, ready: () => boolean): Promise<void> {
  const until = Date.now() + seconds * 1000;
  while (!ready()) {
    if (Date.now() > until) throw new Error(`gave up waiting ${seconds} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test(
  'on Slurm the study ends as a sequential run does, also after scancel and a resubmission',
  { skip: 'reason' in slurm ? slurm.reason : false },
  async () => {
    // one seed, a process 1 long enough to be killed mid-way
    const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, any>;
    config.seeds = [0];
    config.process1 = { batchSize: 2, epochs: 40 };
    config.analysis.every = 20;
    const file = path.join(dir, 'slurm-study.json');
    fs.writeFileSync(file, JSON.stringify(config));
    const want = path.join(dir, 'slurm-want');
    const sequential = await gradscope(['run', file, '--threads', '1', '--quiet', '--out', want]);
    assert.equal(sequential.code, 0, sequential.stderr);

    const out = path.join(dir, 'slurm-run');
    const args = ['run', file, '--out', out, '--executor', 'slurm', '--threads', '1'];
    const submitted = await gradscope(args);
    assert.equal(submitted.code, 0, submitted.stderr);
    const process1 = () => readJobs(out)['seed-0.process1']!;
    const checkpoints = path.join(out, 'seeds', '0', 'checkpoints', 'process1');
    const epochs = () =>
      fs.existsSync(checkpoints)
        ? fs.readdirSync(checkpoints).filter((n) => /^epoch-\d+\.safetensors$/.test(n)).length
        : 0;
    await waitUntil('process 1 to be part-way', 120, () => epochs() >= 3);
    assert.ok(epochs() < 40, 'process 1 still running when cancelled');
    spawnSync('scancel', [process1()[0]!]);
    await waitUntil('the jobs to leave the queue', 120, () => squeue().length === 0);
    const stopped = await gradscope(['status', out]);
    assert.match(stopped.stdout, /^seed-0\.process1\s+failed \(job \d+ CANCELLED\)$/m);
    assert.match(stopped.stdout, /retry: gradscope run .* --executor slurm --resume$/m);

    const again = await gradscope([...args, '--resume']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(process1().length, 2, 'process 1 submitted again');
    await waitUntil('the study to finish', 300, () => squeue().length === 0);
    const finished = await gradscope(['status', out]);
    assert.match(finished.stdout, /8 done, 0 running, 0 queued, 0 failed, 0 waiting \(of 8\)/);
    const resumedLog = fs.readFileSync(
      path.join(out, 'slurm', `seed-0.process1-${process1()[1]}.log`),
      'utf8',
    );
    assert.doesNotMatch(resumedLog, /process1 epoch 1:/, 'resumed, not restarted');
    assert.match(resumedLog, /process1 epoch 40:/);
    assertSameStudy(out, want);
  },
);

test('a slurm: section of the config sets the jobs; the command line wins; not in the study', async () => {
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  config.slurm = { partition: 'short', time: '00:30:00', options: ['--qos=low'] };
  const file = path.join(dir, 'with-slurm.json');
  fs.writeFileSync(file, JSON.stringify(config));
  const out = path.join(dir, 'section');
  const dry = await gradscope([
    ...['run', file, '--out', out, '--executor', 'slurm', '--dry-run', '--slurm-time', '01:00:00'],
  ]);
  assert.equal(dry.code, 0, dry.stderr);
  const text = fs.readFileSync(path.join(out, 'slurm', 'report.sbatch'), 'utf8');
  assert.match(text, /^#SBATCH --partition=short$/m);
  assert.match(text, /^#SBATCH --time=01:00:00$/m);
  assert.match(text, /^#SBATCH --qos=low$/m);
  // where and how to compute travel to every job: each piece computes as the whole run would
  const device = await gradscope([
    ...['run', configFile, '--out', path.join(dir, 'device'), '--executor', 'slurm'],
    ...['--dry-run', '--device', 'cpu', '--deterministic', '--seeds', '0'],
  ]);
  assert.equal(device.code, 0, device.stderr);
  const scripts = fs
    .readdirSync(path.join(dir, 'device', 'slurm'))
    .filter((f) => /\.sbatch$/.test(f));
  assert.ok(scripts.length > 3, `${scripts.length} job scripts`);
  for (const f of scripts) {
    const job = fs.readFileSync(path.join(dir, 'device', 'slurm', f), 'utf8');
    assert.match(job, / --seeds 0 .*--device cpu --deterministic /, f);
  }
  // the section says how to submit, not what the study is: the same plan
  const plain = await gradscope(['run', configFile, '--plan']);
  assert.equal((await gradscope(['run', file, '--plan'])).stdout, plain.stdout);
  config.slurm = { partition: 'two words' };
  fs.writeFileSync(file, JSON.stringify(config));
  const bad = await gradscope(['run', file, '--plan']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /slurm\.partition/);
});
