/** Short names for checkpoint files, as the titles and tables of the analyses show them. */
import * as path from 'path';

/**
 * Names of checkpoint files for titles and tables: the file name, and where two share
 * it, the nearest folder that tells them apart ("seed0/…/epoch-0030").
 */
export function checkpointLabels(files: string[]): string[] {
  const parts = files.map((f) =>
    path
      .resolve(f)
      .replace(/\.safetensors$/, '')
      .split(path.sep),
  );
  return parts.map((p, i) => {
    const base = p[p.length - 1]!;
    const twins = parts.filter((q, j) => j !== i && q[q.length - 1] === base);
    for (let k = 2; twins.length && k <= p.length; k++) {
      const folder = p[p.length - k]!;
      if (twins.every((q) => q[q.length - k] !== folder))
        return k === 2 ? `${folder}/${base}` : `${folder}/…/${base}`;
    }
    return base;
  });
}
