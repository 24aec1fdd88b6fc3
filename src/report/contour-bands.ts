/**
 * Filled contour bands: for levels L0 < L1 < ... < Lm, band k is the region where
 * L_k <= value <= L_k+1, as one SVG path per band. Each triangle of the grid is clipped to
 * the band (Sutherland-Hodgman against the two level half-planes, exact for a linear
 * value); a cell whose four corners lie in one band is a rectangle, and runs of such cells
 * along a row are merged, so a smooth surface costs few polygons.
 */
import { cellCorners, splitCell, type Vertex } from './grid-triangles';
import { num } from './svg';

type Point = Omit<Vertex, 'id'>;

/** Path data per band (levels.length - 1 of them); pixel coordinates px[i], py[j]. */
export function bandPaths(
  px: readonly number[],
  py: readonly number[],
  z: readonly (readonly (number | null)[])[],
  levels: readonly number[],
): string[] {
  const bands = levels.length - 1;
  const paths: string[][] = Array.from({ length: bands }, () => []);
  const bandOf = (v: number) => {
    let k = 0;
    while (k < bands - 1 && v >= levels[k + 1]) k++;
    return k;
  };
  for (let j = 0; j + 1 < py.length; j++) {
    let run: { band: number; from: number; to: number } | undefined;
    const flush = () => {
      if (run) paths[run.band].push(rectangle(run.from, run.to, py[j], py[j + 1]));
      run = undefined;
    };
    for (let i = 0; i + 1 < px.length; i++) {
      const cell = cellCorners(px, py, z, i, j);
      const owners = cell ? new Set(cell.map((c) => bandOf(c.v))) : undefined;
      if (cell && owners?.size === 1) {
        const band = bandOf(cell[0].v);
        if (run?.band === band) run.to = px[i + 1];
        else {
          flush();
          run = { band, from: px[i], to: px[i + 1] };
        }
        continue;
      }
      flush();
      if (!cell) continue;
      for (const triangle of splitCell(cell)) {
        const values = triangle.map((t) => bandOf(t.v));
        for (let k = Math.min(...values); k <= Math.max(...values); k++) {
          const piece = clip(clip(triangle, levels[k], 1), levels[k + 1], -1);
          if (piece.length >= 3) paths[k].push(polygon(piece));
        }
      }
    }
    flush();
  }
  return paths.map((p) => p.join(''));
}

/** The part of `poly` where sign * (v - level) >= 0. */
function clip(poly: Point[], level: number, sign: 1 | -1): Point[] {
  const out: Point[] = [];
  poly.forEach((a, k) => {
    const b = poly[(k + 1) % poly.length];
    const [inA, inB] = [sign * (a.v - level) >= 0, sign * (b.v - level) >= 0];
    if (inA) out.push(a);
    if (inA !== inB) {
      const t = (level - a.v) / (b.v - a.v);
      out.push({ x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y), v: level });
    }
  });
  return out;
}

function polygon(points: Point[]): string {
  return points.map((p, k) => `${k ? 'L' : 'M'}${num(p.x)} ${num(p.y)}`).join('') + 'Z';
}

function rectangle(x0: number, x1: number, y0: number, y1: number): string {
  return `M${num(x0)} ${num(y0)}H${num(x1)}V${num(y1)}H${num(x0)}Z`;
}
