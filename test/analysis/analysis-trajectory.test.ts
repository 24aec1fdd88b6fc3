/**
 * Training trajectories: the PCA plane of w_j - w_final is orthonormal, puts w_final at
 * the origin, recovers a path that lies in a plane exactly, and orders the directions by
 * the variance they carry; the command draws a short training run on its plane.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { coveringGrid, trajectoryPlane } from '../../src/analysis/trajectory';
import { phaseFolders } from '../../src/store/checkpoint-files';
import { gradscope, idxDataAndNetwork } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { random } from '../fixtures/helpers';

const dotp = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

test('trajectoryPlane: orthonormal directions, w_final at the origin, a planar path recovered', () => {
  const n = 40;
  const r = random(4);
  const final = Float64Array.from({ length: n }, () => r() - 0.5);
  // a path in the plane final + span(e1, e2), e1 and e2 orthonormal, spread mostly along e1
  const e1 = Float64Array.from({ length: n }, () => r() - 0.5);
  const l1 = Math.sqrt(dotp(e1, e1));
  e1.forEach((x, i) => (e1[i] = x / l1));
  const e2 = Float64Array.from({ length: n }, () => r() - 0.5);
  const c = dotp(e1, e2);
  e2.forEach((x, i) => (e2[i] = x - c * e1[i]!));
  const l2 = Math.sqrt(dotp(e2, e2));
  e2.forEach((x, i) => (e2[i] = x / l2));
  const coefficients = [
    [5, 1],
    [4, -0.6],
    [2.5, 0.7],
    [1, -0.2],
    [0, 0],
  ];
  const path = coefficients.map(([a, b]) =>
    Float64Array.from({ length: n }, (_, i) => final[i]! + a! * e1[i]! + b! * e2[i]!),
  );
  const plane = trajectoryPlane(path, final);
  assert.ok(Math.abs(dotp(plane.d1, plane.d1) - 1) < 1e-12);
  assert.ok(Math.abs(dotp(plane.d2, plane.d2) - 1) < 1e-12);
  assert.ok(Math.abs(dotp(plane.d1, plane.d2)) < 1e-12);
  assert.deepEqual(plane.coordinates[4], [0, 0]); // the final solution itself
  // a planar path is reproduced exactly: |w_j - w_f|^2 = x_j^2 + y_j^2
  path.forEach((w, j) => {
    const [x, y] = plane.coordinates[j]!;
    const d = Float64Array.from(w, (v, i) => v - final[i]!);
    assert.ok(Math.abs(dotp(d, d) - x * x - y * y) < 1e-10, `checkpoint ${j}`);
  });
  assert.ok(Math.abs(plane.explained[0] + plane.explained[1] - 1) < 1e-12);
  assert.ok(plane.explained[0] > plane.explained[1]);
  assert.throws(() => trajectoryPlane([final, final], final), /at least two checkpoints/);
  const grid = coveringGrid([-1, 3], 5);
  [-1.8, -0.4, 1, 2.4, 3.8].forEach((x, i) => assert.ok(Math.abs(grid[i]! - x) < 1e-12));
});

test('gradscope analyze trajectory: a three-epoch run on its PCA plane', () => {
  const dir = tempDir('gradscope-trajectory-');
  const { data, net } = idxDataAndNetwork(dir, [24, 6], 'tiny');
  const run = path.join(dir, 'run');
  const trained = gradscope(
    ...['train', '--network', net, '--data', data, '--batch-size', '8', '--epochs', '3'],
    ...['--quiet', '--out', run],
  );
  assert.equal(trained.status, 0, trained.stderr);
  const checkpoints = path.join(run, 'checkpoints', 'train');
  const out = path.join(dir, 'trajectory');
  const r = gradscope(
    ...['analyze', 'trajectory', '--checkpoints', checkpoints, '--points', '3'],
    ...['--sample-size', '10', '--json', '--quiet', '--out', out],
  );
  assert.equal(r.status, 0, r.stderr);
  const result = JSON.parse(r.stdout);
  assert.equal(result.kind, 'trajectory');
  assert.equal(result.paths.length, 1);
  const points = result.paths[0].points;
  assert.deepEqual(
    points.map((p: { epoch: number }) => p.epoch),
    [1, 2, 3],
  );
  assert.deepEqual([points[2].x, points[2].y], [0, 0]);
  assert.equal(result.loss.length, 3);
  assert.ok(fs.existsSync(path.join(out, 'trajectory.svg')));
  assert.ok(fs.existsSync(path.join(out, 'trajectory.png')));
  // a folder of phase folders stands for its phases, process1 first, arms by B
  const phases = path.join(dir, 'phases');
  for (const phase of ['arm-1000', 'arm-256', 'process1']) {
    fs.mkdirSync(path.join(phases, phase), { recursive: true });
    fs.writeFileSync(path.join(phases, phase, 'epoch-0001.safetensors'), '');
  }
  assert.deepEqual(
    phaseFolders(phases).map((p) => path.basename(p)),
    ['process1', 'arm-256', 'arm-1000'],
  );
  assert.deepEqual(phaseFolders(checkpoints), [checkpoints]);
  const bad = gradscope('analyze', 'trajectory', '--checkpoints', path.join(dir, 'none'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /none: no such checkpoint folder/);
});
