/**
 * Shared by the report tests: an independent well-formedness check for the SVG strings
 * (tag balance, quoted attributes, no stray "<" or "&"), the PNG header reader, and a tiny
 * parser for the absolute path commands the charts emit (M L H V Z).
 */
import { strict as assert } from 'node:assert';

export function assertWellFormed(xml: string): void {
  const token =
    /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<|&(?!#\d+;|#x[0-9a-f]+;|amp;|lt;|gt;|quot;|apos;)/gi;
  const open: string[] = [];
  let roots = 0;
  for (const m of xml.matchAll(token)) {
    if (m[0] === '<' || m[0] === '&')
      assert.fail(`stray ${m[0]} at ${m.index}: ${xml.slice(m.index, m.index! + 40)}`);
    if (m[0].startsWith('<!--') || m[0].startsWith('<?')) continue;
    const [, closing, name, attributes, selfClosing] = m;
    const names = [...attributes.matchAll(/([\w:.-]+)="/g)].map((a) => a[1]);
    assert.equal(new Set(names).size, names.length, `duplicate attribute in <${name}>`);
    if (closing) assert.equal(open.pop(), name, `</${name}> closes the wrong element`);
    else {
      if (open.length === 0) roots++;
      if (!selfClosing) open.push(name);
    }
  }
  assert.deepEqual(open, [], 'unclosed elements');
  assert.equal(roots, 1, 'one root element');
}

/** Occurrences of `pattern` (a global RegExp) in `text`. */
export function count(text: string, pattern: RegExp): number {
  return [...text.matchAll(pattern)].length;
}

/** Text contents of the <text> elements, unescaped enough for the tests' labels. */
export function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) =>
    m[1].replace(/&#(\d+);/g, (_, c: string) => String.fromCharCode(Number(c))),
  );
}

/** The `d` of every path with class `cls`. */
export function pathData(svg: string, cls: string): string[] {
  return [...svg.matchAll(new RegExp(`<path class="${cls}"[^>]* d="([^"]*)"`, 'g'))].map(
    (m) => m[1],
  );
}

/** Subpaths of absolute M/L/H/V/Z path data as point lists. */
export function subpaths(d: string): [number, number][][] {
  const out: [number, number][][] = [];
  let [x, y] = [0, 0];
  for (const [, op, args] of d.matchAll(/([MLHVZ])([^MLHVZ]*)/g)) {
    const n = args
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean)
      .map(Number);
    if (op === 'M') out.push([]);
    if (op === 'M' || op === 'L') [x, y] = [n[0], n[1]];
    if (op === 'H') x = n[0];
    if (op === 'V') y = n[0];
    if (op !== 'Z') out[out.length - 1].push([x, y]);
  }
  return out;
}

/** Shoelace area of a closed polygon (absolute value). */
export function area(points: [number, number][]): number {
  let sum = 0;
  points.forEach(([x0, y0], k) => {
    const [x1, y1] = points[(k + 1) % points.length];
    sum += x0 * y1 - x1 * y0;
  });
  return Math.abs(sum) / 2;
}

/** Width and height from a PNG's IHDR chunk, after checking the signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
  const signature = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  assert.deepEqual([...png.subarray(0, 8)], signature, 'PNG signature');
  const view = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  assert.equal(view.toString('latin1', 12, 16), 'IHDR');
  return { width: view.readUInt32BE(16), height: view.readUInt32BE(20) };
}
