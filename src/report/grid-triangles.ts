/**
 * The triangulation under the contour chart: each grid cell (i, j)-(i+1, j+1) is cut along
 * its diagonal into two triangles on which the value is linear. Filled bands and isolines
 * are both cut from these triangles, so the lines lie exactly on the band edges (marching
 * triangles: no saddle ambiguity, unlike marching squares). A cell with an undefined
 * corner yields no triangles, leaving a hole.
 */
export interface Vertex {
  /** i * ny + j: equal ids are the same grid node, so shared edges can be matched. */
  id: number;
  x: number;
  y: number;
  v: number;
}

export type Triangle = [Vertex, Vertex, Vertex];

/** Corners of cell (i, j) in order around it, or undefined if one is undefined. */
export function cellCorners(
  px: readonly number[],
  py: readonly number[],
  z: readonly (readonly (number | null)[])[],
  i: number,
  j: number,
): [Vertex, Vertex, Vertex, Vertex] | undefined {
  const ny = py.length;
  const at = (a: number, b: number): Vertex | undefined => {
    const v = z[a][b];
    return v === null || !Number.isFinite(v)
      ? undefined
      : { id: a * ny + b, x: px[a], y: py[b], v };
  };
  const corners = [at(i, j), at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)];
  return corners.every((c) => c !== undefined)
    ? (corners as [Vertex, Vertex, Vertex, Vertex])
    : undefined;
}

export function splitCell([a, b, c, d]: [Vertex, Vertex, Vertex, Vertex]): [Triangle, Triangle] {
  return [
    [a, b, c],
    [a, c, d],
  ];
}
