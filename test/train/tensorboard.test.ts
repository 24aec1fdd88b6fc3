/**
 * TensorBoard event files, read back by an independent reader (test/python/read_tfevents.py:
 * Debian's python3-protobuf with TensorBoard's Event, Summary and HistogramProto built from
 * their field numbers, and its own CRC-32C): every scalar and histogram at its step with its
 * value; a file cut anywhere yields every complete record before the cut; a resumed sink
 * writes to a new file and never repeats a (tag, step); a study killed with SIGKILL and
 * resumed holds exactly the events of an uninterrupted one.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { readMetrics, type EpochRecord } from '../../src/store/metrics';
import { histogramProto, TensorBoardSink } from '../../src/train/tensorboard';
import { cli } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { smallStudy } from '../fixtures/study-fixture';
import { pythonHas } from '../fixtures/python-has';

const PYTHON = '/usr/bin/python3';
const READER = path.join(__dirname, '..', '..', '..', 'test', 'python', 'read_tfevents.py');
const noProtobuf = !pythonHas(PYTHON, 'google.protobuf')
  ? 'python3-protobuf is not installed (Debian: apt-get install python3-protobuf)'
  : false;

interface Value {
  tag: string;
  simple_value?: number;
  histo?: {
    min: number;
    max: number;
    num: number;
    sum: number;
    sum_squares: number;
    bucket_limit: number[];
    bucket: number[];
  };
}
interface Read {
  file: string;
  records: { step: number; canonical: boolean; file_version?: string; values?: Value[] }[];
  trailing: number;
}

function readEvents(files: string[]): Read[] {
  const r = spawnSync(PYTHON, [READER, ...files], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Read);
}

function eventFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.startsWith('events.out.tfevents.'))
    .map((e) => path.join(e.parentPath ?? e.path, e.name))
    .sort();
}

/** "run|tag|step" -> value (a number, or the histogram), over every file under `dir`. */
function eventsUnder(dir: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const f of readEvents(eventFiles(dir))) {
    assert.equal(f.trailing, 0, f.file);
    assert.equal(f.records[0]?.file_version, 'brain.Event:2', f.file);
    assert.match(path.basename(f.file), /^events\.out\.tfevents\.\d+\.[^/]+$/);
    const run = path.relative(dir, path.dirname(f.file));
    for (const r of f.records) {
      assert.ok(r.canonical, `${f.file}: not the canonical (packed) encoding`);
      for (const v of r.values ?? []) {
        const key = `${run}|${v.tag}|${r.step}`;
        assert.ok(!out.has(key), `written twice: ${key}`);
        out.set(key, v.histo ?? v.simple_value);
      }
    }
  }
  return out;
}

test(
  'scalars and histograms read back by an independent reader; a cut file keeps every complete record',
  { skip: noProtobuf },
  () => {
    const dir = tempDir('gradscope-tb-');
    const sink = new TensorBoardSink(dir);
    sink.scalars('train', 1, { 'loss/train': 0.25, batch_size: 256 });
    const histo = histogramProto([0.2, 0.7, 30], [0.5, 1, Number.MAX_VALUE], [1, 1, 1]);
    sink.histograms('train', 1, { 'gradients/h': histo });
    sink.scalars('train', 2, { 'loss/train': 0.125 });

    // a resumed process: step 2 again is skipped; step 3 goes to a new file
    const again = new TensorBoardSink(dir);
    again.scalars('train', 2, { 'loss/train': 0.125 });
    again.scalars('train', 3, { 'loss/train': 1 / 3, 'loss/test': 0.5 });
    const files = eventFiles(dir);
    assert.equal(files.length, 2);
    const events = eventsUnder(dir);
    assert.deepEqual(
      [...events.keys()],
      [
        'train|loss/train|1',
        'train|batch_size|1',
        'train|gradients/h|1',
        'train|loss/train|2',
        'train|loss/train|3',
        'train|loss/test|3',
      ],
    );
    assert.equal(events.get('train|loss/train|3'), Math.fround(1 / 3));
    assert.equal(events.get('train|batch_size|1'), 256);
    assert.deepEqual(events.get('train|gradients/h|1'), {
      min: 0.2,
      max: 30,
      num: 3,
      sum: 0.2 + 0.7 + 30,
      sum_squares: 0.2 * 0.2 + 0.7 * 0.7 + 900,
      bucket_limit: [0.5, 1, Number.MAX_VALUE],
      bucket: [1, 1, 1],
    });

    // the first file cut at every length: every record wholly before the cut is read
    const whole = fs.readFileSync(files[0]!);
    const ends: number[] = [];
    for (let at = 0; at < whole.length;) {
      at += 16 + Number(whole.readBigUInt64LE(at));
      ends.push(at);
    }
    const cuts = tempDir('gradscope-tb-cut-');
    const cutFiles: string[] = [];
    for (let n = 0; n <= whole.length; n++) {
      const f = path.join(cuts, `cut-${String(n).padStart(4, '0')}`);
      fs.writeFileSync(f, whole.subarray(0, n));
      cutFiles.push(f);
    }
    readEvents(cutFiles).forEach((r, n) => {
      const complete = ends.filter((e) => e <= n).length;
      assert.equal(r.records.length, complete, `cut at ${n} bytes`);
    });
  },
);

/** The small study with one seed and no sharpness (for speed). */
function oneSeedStudy(): { dir: string; configFile: string } {
  const { dir, configFile } = smallStudy();
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  fs.writeFileSync(configFile, JSON.stringify({ ...config, seeds: [0], sharpness: undefined }));
  return { dir, configFile };
}

function gradscope(args: string[]): Promise<number | null> {
  return new Promise((resolve) =>
    spawn(process.execPath, [cli, ...args], { stdio: 'ignore' }).on('exit', resolve),
  );
}

test(
  'a study writes every epoch, analysis point and line to TensorBoard, and a kill and resume neither loses nor repeats one',
  { skip: noProtobuf },
  async () => {
    const { dir, configFile } = oneSeedStudy();
    const whole = path.join(dir, 'whole');
    const args = (out: string) => ['run', configFile, '--threads', '1', '--quiet', '--out', out];
    assert.equal(await gradscope(args(whole)), 0);
    const events = eventsUnder(path.join(whole, 'tensorboard'));

    const seedDir = path.join(whole, 'seeds', '0');
    const epochs = readMetrics(path.join(seedDir, 'metrics.jsonl')).filter(
      (r): r is EpochRecord => r.kind === 'epoch',
    );
    assert.equal(epochs.length, 3 + 2 + 2);
    for (const e of epochs) {
      const at = (tag: string) => events.get(`0/${e.phase}|${tag}|${e.epoch}`);
      assert.equal(at('loss/train'), Math.fround(e.trainLoss));
      assert.equal(at('loss/test'), Math.fround(e.testLoss));
      assert.equal(at('accuracy/train'), Math.fround(e.trainAccuracy));
      assert.equal(at('accuracy/test'), Math.fround(e.testAccuracy));
      assert.equal(at('learning_rate'), Math.fround(e.learningRate));
      assert.equal(at('batch_size'), e.batchSize);
    }
    const analysisDir = path.join(seedDir, 'analysis');
    const points = fs.readdirSync(analysisDir);
    assert.equal(points.length, 5);
    for (const name of points) {
      const a = JSON.parse(fs.readFileSync(path.join(analysisDir, name), 'utf8'));
      const at = (tag: string) => events.get(`0/${a.phase}|${tag}|${a.epoch}`);
      assert.equal(at('gradients/d'), Math.fround(a.d));
      assert.equal(at('gradients/g_train_over_d'), Math.fround(a.gTrainNorm));
      assert.equal(at('gradients/g_total_over_d'), Math.fround(a.gTotalNorm));
      assert.equal(at('gradients/trace_F'), Math.fround(a.traceF));
      assert.equal(at('gradients/B_simple'), Math.fround(a.bSimple));
      for (const b of a.batchSizes) {
        const h = at(`gradients/g_B_minus_g_total_over_d/B=${b.batchSize}`) as Value['histo'];
        const values: number[] = b.draws.map((d: { toTotal: number }) => d.toTotal);
        assert.ok(h, `${name} B=${b.batchSize}`);
        assert.equal(h.num, values.length);
        assert.equal(h.min, Math.min(...values));
        assert.equal(h.max, Math.max(...values));
        assert.ok(Math.abs(h.sum - values.reduce((s, v) => s + v, 0)) < 1e-9);
        assert.deepEqual(h.bucket, b.histogramToTotal.counts);
        assert.equal(h.bucket_limit[0], 0.5);
        assert.equal(h.bucket_limit.at(-1), Number.MAX_VALUE);
      }
    }
    const line = JSON.parse(
      fs.readFileSync(path.join(whole, 'lines', 'seed-0-arm-10-arm-50.json'), 'utf8'),
    );
    line.points.forEach((p: { alpha: number; test: { loss: number } }, i: number) => {
      assert.equal(events.get(`0/lines|line/arm-10-arm-50/alpha|${i}`), Math.fround(p.alpha));
      assert.equal(
        events.get(`0/lines|line/arm-10-arm-50/test_loss|${i}`),
        Math.fround(p.test.loss),
      );
    });

    // killed once the first epoch is logged, then resumed: the same events, none twice
    const killed = path.join(dir, 'killed');
    const child = spawn(process.execPath, [cli, ...args(killed)], { stdio: 'ignore' });
    const metrics = path.join(killed, 'seeds', '0', 'metrics.jsonl');
    await new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (readMetrics(metrics).some((r) => r.kind === 'epoch')) {
          clearInterval(poll);
          setTimeout(
            () => {
              child.kill('SIGKILL');
              resolve();
            },
            Math.floor(Math.random() * 400),
          );
        }
      }, 5);
    });
    await new Promise((r) => child.on('exit', r));
    assert.equal(await gradscope([...args(killed), '--resume']), 0);
    const again = eventsUnder(path.join(killed, 'tensorboard'));
    assert.deepEqual([...again.keys()].sort(), [...events.keys()].sort());
    for (const [key, value] of events) assert.deepEqual(again.get(key), value, key);
  },
);

test('a plain train run writes its events under tensorboard/<phase>/', { skip: noProtobuf }, () => {
  const { dir, configFile } = oneSeedStudy();
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const out = path.join(dir, 'train');
  const r = spawnSync(
    process.execPath,
    [
      cli,
      ...['train', '--network', config.network, '--data', config.data, '--batch-size', '50'],
      ...['--epochs', '2', '--threads', '1', '--quiet', '--out', out],
    ],
    { encoding: 'utf8' },
  );
  assert.equal(r.status, 0, r.stderr);
  const events = eventsUnder(path.join(out, 'tensorboard'));
  assert.deepEqual(
    [...events.keys()].filter((k) => k.includes('loss/test')),
    ['train|loss/test|1', 'train|loss/test|2'],
  );
});
