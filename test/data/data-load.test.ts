/**
 * The built-in MNIST into native memory: all 70 000 images in under 2 s, memory
 * within 1.5x the float32 size of the data, pixels scaled to [0, 1] exactly as
 * float(byte) / 255; and the network-against-data check.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { test } from 'node:test';
import { loadData } from '../../src/data/load';
import { locateImages } from '../fixtures/data-fixtures';
import { Network } from '../../src/engine/network';
import { c1 } from '../../src/models/c1';
import { f1 } from '../../src/models/f1';

test('all of MNIST loads in under 2 s within 1.5x the float32 size of the data', () => {
  // A fresh process, so that resident memory measures this load alone.
  const load = path.join(__dirname, '..', '..', 'src', 'data', 'load.js');
  const native = path.join(__dirname, '..', '..', 'src', 'engine', 'native.js');
  // libtorch's code pages are loaded first: the measure is of the data alone.
  const script = `
require(${JSON.stringify(native)}).addon();
const before = process.memoryUsage().rss;
const t = process.hrtime.bigint();
const d = require(${JSON.stringify(load)}).loadData('mnist');
const seconds = Number(process.hrtime.bigint() - t) / 1e9;
const after = process.memoryUsage().rss;
console.log(JSON.stringify({ seconds, grown: after - before, n: d.train.size + d.test.size }));
`;
  const run = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const r = JSON.parse(run.stdout) as { seconds: number; grown: number; n: number };
  const floatBytes = 70000 * 784 * 4;
  console.log(
    `MNIST load: ${r.seconds.toFixed(2)} s, resident memory grew ${(r.grown / 2 ** 20).toFixed(0)} MiB = ${(r.grown / floatBytes).toFixed(2)}x the float32 data`,
  );
  assert.equal(r.n, 70000);
  assert.ok(r.seconds < 2, `${r.seconds} s`);
  assert.ok(r.grown < 1.5 * floatBytes, `${r.grown} bytes`);
});

test('pixels reach the network as float(byte) / 255 and labels unchanged', () => {
  const { source } = locateImages('mnist');
  const data = loadData('mnist');
  // A network whose logits are a fixed linear read-out of two pixels shows the values.
  const probe = new Network({
    name: 'probe',
    input: [1, 28, 28],
    classes: 10,
    layers: [{ type: 'flatten' }, { type: 'linear', out: 10, bias: false }],
  });
  probe.parameters.fill(0);
  probe.parameters[0 * 784 + 300] = 1; // logit 0 = pixel 300
  probe.parameters[1 * 784 + 400] = 1; // logit 1 = pixel 400
  const logits = probe.logits(data.test, Int32Array.of(0, 1, 2), { mode: 'population' });
  for (let i = 0; i < 3; i++) {
    assert.equal(logits[i * 10], Math.fround(source.test.pixels[i * 784 + 300]! / 255));
    assert.equal(logits[i * 10 + 1], Math.fround(source.test.pixels[i * 784 + 400]! / 255));
  }
});

test('a network that does not fit the data is refused before anything runs', () => {
  const data = loadData('mnist');
  const net = new Network(c1());
  assert.throws(
    () => net.evaluate(data.test, Int32Array.of(0)),
    /network C1 takes 3x32x32 inputs but dataset mnist test has 1x28x28/,
  );
  const fits = new Network(f1());
  assert.equal(fits.evaluate(data.test, Int32Array.of(0, 1)).count, 2);
});
