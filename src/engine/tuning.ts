/**
 * The tuning file: engine settings measured on this machine by `gradscope bench --tune`,
 * per network family and batch size. It lives in the user's cache folder
 * ($XDG_CACHE_HOME/gradscope/tuning.json, else ~/.cache/gradscope/tuning.json), is
 * written atomically with a SHA-256 of its content, and holds for one machine only: the
 * CPU model, the core count and the libtorch version it was measured with. A file that
 * fails its checksum or its shape, or that was measured elsewhere, is ignored with one
 * line on stderr, and the engine keeps its built-in rules (threads.ts).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';
import { readTextFile } from '../core/regular-file';
import type { NetworkSpec } from './layers';
import { addon } from './native';
import { torchScriptHasConvolutions } from './torchscript';

/** What the engine's settings are chosen for: networks with convolutions, or without. */
export type NetworkFamily = 'convolutional' | 'fully-connected';

/** The machine a tuning holds for. */
export interface TuningKey {
  cpu: string;
  cores: number;
  libtorch: string;
}

/** The fastest settings measured for one family at one batch size. */
export interface TunedChoice {
  family: NetworkFamily;
  batch: number;
  torch: number;
  blas: number;
  memory: 'kept' | 'returned';
  convolutionFormat: 'channels-last' | 'contiguous';
  /** What multiplies float32 Linear layers: oneDNN or the linked BLAS. */
  linear: 'onednn' | 'blas';
  /** Milliseconds per training step with these settings. */
  ms: number;
}

/** The tuning file as this process found it. */
export type TuningState =
  | { file: string; status: 'used'; key: TuningKey; date: string; choices: TunedChoice[] }
  | { file: string; status: 'absent' }
  | { file: string; status: 'ignored'; reason: string };

const FORMAT = 'gradscope tuning 2';

export function networkFamily(spec: NetworkSpec): NetworkFamily {
  // a TorchScript module has no layer list: its archive says whether it convolves
  const convolves = spec.torchscript
    ? torchScriptHasConvolutions(spec.torchscript)
    : spec.layers.some((l) => l.type === 'conv2d');
  return convolves ? 'convolutional' : 'fully-connected';
}

export function tuningFile(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'gradscope', 'tuning.json');
}

export function machineKey(): TuningKey {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: Math.max(1, os.availableParallelism?.() ?? os.cpus().length),
    libtorch: addon().torchVersion,
  };
}

function checksum(body: unknown): string {
  return crypto.createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

/** Writes the choices for this machine atomically; returns the file. */
export function writeTuning(choices: TunedChoice[]): string {
  const file = tuningFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const body = { format: FORMAT, key: machineKey(), date: new Date().toISOString(), choices };
  writeFileAtomic(file, JSON.stringify({ ...body, checksum: checksum(body) }, null, 2) + '\n');
  loaded = undefined;
  return file;
}

const isCount = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) > 0;

function isChoice(c: unknown): c is TunedChoice {
  if (typeof c !== 'object' || c === null) return false;
  const o = c as Record<string, unknown>;
  return (
    (o.family === 'convolutional' || o.family === 'fully-connected') &&
    isCount(o.batch) &&
    isCount(o.torch) &&
    isCount(o.blas) &&
    (o.memory === 'kept' || o.memory === 'returned') &&
    (o.convolutionFormat === 'channels-last' || o.convolutionFormat === 'contiguous') &&
    (o.linear === 'onednn' || o.linear === 'blas') &&
    typeof o.ms === 'number' &&
    Number.isFinite(o.ms)
  );
}

/** Reads and verifies the tuning file (no caching, nothing printed). */
export function readTuning(): TuningState {
  const file = tuningFile();
  if (!fs.existsSync(file)) return { file, status: 'absent' };
  let text: string;
  try {
    // a regular file of a size a tuning file has: a FIFO or /dev/zero put there is ignored
    text = readTextFile(file, 1_000_000);
  } catch (e) {
    return { file, status: 'ignored', reason: `cannot be read (${(e as Error).message})` };
  }
  let p: Record<string, unknown>;
  try {
    p = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return { file, status: 'ignored', reason: 'not valid JSON' };
  }
  if (typeof p !== 'object' || p === null || p.format !== FORMAT)
    return { file, status: 'ignored', reason: `not a "${FORMAT}" file` };
  const body = { format: p.format, key: p.key, date: p.date, choices: p.choices };
  if (p.checksum !== checksum(body))
    return { file, status: 'ignored', reason: 'its checksum does not match its content' };
  const key = p.key as TuningKey;
  if (!Array.isArray(p.choices) || !p.choices.every(isChoice) || typeof p.date !== 'string')
    return { file, status: 'ignored', reason: 'its choices are not well formed' };
  const here = machineKey();
  if (key?.cpu !== here.cpu || key?.cores !== here.cores || key?.libtorch !== here.libtorch)
    return {
      file,
      status: 'ignored',
      reason:
        `it was measured on ${String(key?.cpu)} with ${String(key?.cores)} cores and libtorch ` +
        `${String(key?.libtorch)}, this is ${here.cpu} with ${here.cores} cores and libtorch ${here.libtorch}`,
    };
  return { file, status: 'used', key, date: p.date, choices: p.choices };
}

let loaded: TuningState | undefined;

/** The tuning file, read once per process; an ignored one is reported once on stderr. */
export function tuning(): TuningState {
  if (loaded) return loaded;
  loaded = readTuning();
  if (loaded.status === 'ignored')
    process.stderr.write(
      `gradscope: ignoring the tuning file ${loaded.file}: ${loaded.reason} (built-in settings used; \`gradscope bench --tune\` measures new ones)\n`,
    );
  return loaded;
}

/**
 * The stored choice for a family at the tuned batch size nearest `batch` (by ratio); without
 * `batch`, the largest tuned batch (the study's hot path: B = 5000 arms, Experiment B).
 */
export function tunedFor(family: NetworkFamily, batch?: number): TunedChoice | undefined {
  const t = tuning();
  if (t.status !== 'used') return undefined;
  const mine = t.choices.filter((c) => c.family === family);
  if (mine.length === 0) return undefined;
  const distance = (c: TunedChoice): number =>
    batch === undefined ? -c.batch : Math.abs(Math.log(c.batch / batch));
  return mine.reduce((best, c) => (distance(c) < distance(best) ? c : best));
}
