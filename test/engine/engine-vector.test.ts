/** The flat-vector helpers against values worked out by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { axpy, cosine, distance, dot, lerp, norm } from '../../src/engine/vector';

test('dot, norm, distance, cosine, axpy and lerp', () => {
  const a = Float32Array.of(3, 4, 0);
  const b = Float64Array.of(1, 0, 2);
  assert.equal(dot(a, b), 3);
  assert.equal(norm(a), 5);
  assert.equal(distance(a, b), Math.sqrt(4 + 16 + 4));
  assert.equal(cosine(a, b), 3 / (5 * Math.sqrt(5)));
  assert.equal(cosine(a, new Float64Array(3)), 0);
  const y = Float64Array.of(1, 1, 1);
  axpy(2, a, y);
  assert.deepEqual(Array.from(y), [7, 9, 1]);
  const out = new Float64Array(3);
  lerp(a, b, 0.25, out);
  assert.deepEqual(Array.from(out), [2.5, 3, 0.5]);
  assert.throws(() => dot(a, Float64Array.of(1)), /lengths 3 and 1/);
});

test('norms accumulate in float64: a million float32 entries of 0.1', () => {
  const v = new Float32Array(1_000_000).fill(0.1);
  const exact = Math.sqrt(1_000_000) * Math.fround(0.1);
  assert.ok(Math.abs(norm(v) - exact) < 1e-9 * exact);
});
