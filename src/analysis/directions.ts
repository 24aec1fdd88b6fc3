/**
 * Directions in weight space for loss surfaces (Li, Xu, Taylor, Studer and
 * Goldstein 2018). A filter-normalised random direction: d ~ N(0, I) drawn per
 * parameter, then for each filter i of each weight tensor (row i: an output filter
 * of a convolution, an output neuron of a linear layer)
 *   d_i <- d_i / |d_i| * |w_i|,
 * so that the direction has, filter by filter, the norm of the solution's filter.
 * One-dimensional parameters (biases, batch-norm scale and shift) get 0 by default,
 * as in Li et al.; `includeOneDimensional` normalises them per element instead.
 * Draws come from the seeded generator of src/data/random.ts (Box-Muller), so a
 * direction is a function of (seed, name) alone.
 */
import { rngFor } from '../data/random';
import type { Network } from '../engine/network';

function gaussian(next: () => number): () => number {
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = next();
    const v = next();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
}

export function filterNormalisedDirection(
  network: Network,
  w: Float32Array | Float64Array,
  seed: number,
  name: string,
  includeOneDimensional = false,
): Float64Array {
  const rng = rngFor(seed, `direction:${name}`);
  const normal = gaussian(() => rng.uniform());
  const d = new Float64Array(w.length);
  for (const p of network.parameterTable) {
    if (p.shape.length < 2 && !includeOneDimensional) continue;
    const rows = p.shape.length >= 2 ? p.shape[0]! : p.size;
    const width = p.size / rows;
    for (let r = 0; r < rows; r++) {
      const start = p.offset + r * width;
      let dn = 0;
      let wn = 0;
      for (let i = start; i < start + width; i++) {
        d[i] = normal();
        dn += d[i]! * d[i]!;
        wn += w[i]! * w[i]!;
      }
      const scale = dn > 0 ? Math.sqrt(wn) / Math.sqrt(dn) : 0;
      for (let i = start; i < start + width; i++) d[i] = d[i]! * scale;
    }
  }
  return d;
}

/** The plane through three solutions: e1 = b - a, e2 = (c - a) minus its projection on e1.
 * Returns the directions and where b and c lie in the plane's (x, y) coordinates. */
export function planeThrough(
  a: Float32Array | Float64Array,
  b: Float32Array | Float64Array,
  c: Float32Array | Float64Array,
): { e1: Float64Array; e2: Float64Array; b: [number, number]; c: [number, number] } {
  const e1 = new Float64Array(a.length);
  const u = new Float64Array(a.length);
  let e1e1 = 0;
  let ue1 = 0;
  for (let i = 0; i < a.length; i++) {
    e1[i] = b[i]! - a[i]!;
    u[i] = c[i]! - a[i]!;
    e1e1 += e1[i]! * e1[i]!;
    ue1 += u[i]! * e1[i]!;
  }
  const projection = e1e1 > 0 ? ue1 / e1e1 : 0;
  const e2 = u.map((x, i) => x - projection * e1[i]!);
  return { e1, e2, b: [1, 0], c: [projection, 1] };
}
