/**
 * Isolines by marching triangles on the grid's triangulation (grid-triangles.ts): each
 * triangle that a level crosses contributes one segment between two of its edges; segments
 * sharing an edge are then chained into polylines (closed where they meet again), so each
 * isoline is one smooth path instead of thousands of loose strokes.
 */
import { cellCorners, splitCell, type Vertex } from './grid-triangles';
import { num } from './svg';

interface Crossing {
  key: string;
  x: number;
  y: number;
}

/** Path data of the isoline at `level`; vertices with value >= level count as above. */
export function isoline(
  px: readonly number[],
  py: readonly number[],
  z: readonly (readonly (number | null)[])[],
  level: number,
): string {
  const segments: [Crossing, Crossing][] = [];
  for (let i = 0; i + 1 < px.length; i++)
    for (let j = 0; j + 1 < py.length; j++) {
      const cell = cellCorners(px, py, z, i, j);
      if (!cell) continue;
      for (const t of splitCell(cell)) {
        const cuts = [
          [t[0], t[1]],
          [t[1], t[2]],
          [t[2], t[0]],
        ].flatMap(([a, b]) => (a.v >= level !== b.v >= level ? [crossing(a, b, level)] : []));
        if (cuts.length === 2) segments.push([cuts[0], cuts[1]]);
      }
    }
  return chain(segments)
    .map((line) => line.map((p, k) => `${k ? 'L' : 'M'}${num(p.x)} ${num(p.y)}`).join(''))
    .join('');
}

function crossing(a: Vertex, b: Vertex, level: number): Crossing {
  const t = (level - a.v) / (b.v - a.v);
  const key = a.id < b.id ? `${a.id}:${b.id}` : `${b.id}:${a.id}`;
  return { key, x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y) };
}

/** Joins segments end to end through shared edge crossings. */
function chain(segments: [Crossing, Crossing][]): Crossing[][] {
  const byKey = new Map<string, number[]>();
  segments.forEach(([a, b], s) => {
    for (const key of [a.key, b.key]) byKey.set(key, [...(byKey.get(key) ?? []), s]);
  });
  const used = new Array<boolean>(segments.length).fill(false);
  const next = (at: Crossing): Crossing | undefined => {
    const s = (byKey.get(at.key) ?? []).find((k) => !used[k]);
    if (s === undefined) return undefined;
    used[s] = true;
    const [a, b] = segments[s];
    return a.key === at.key ? b : a;
  };
  const lines: Crossing[][] = [];
  segments.forEach(([a, b], s) => {
    if (used[s]) return;
    used[s] = true;
    const line = [a, b];
    for (let p = next(b); p; p = next(p)) line.push(p);
    for (let p = next(a); p; p = next(p)) line.unshift(p);
    lines.push(line);
  });
  return lines;
}
