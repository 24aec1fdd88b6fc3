/**
 * Runs a switch study (switch-config.ts) into one directory, resumable and kill-safe as a study
 * is: per seed, per variant, process 1 and then each arm and ramp as a phase of the variant's
 * training run (src/train/run.ts, one phase at a time), then the sharpness of every arm's final
 * state when configured (piece-work.ts). Experiment B and the lines are not run.
 *
 *   config.json                   the switch study and the training set's size
 *   variants/<name>/seeds/<s>/    the variant's training run of seed s
 *   variants/<name>/sharpness/    its arms' sharpness
 *
 * With a `criticalBatch` section, once every variant of a seed has trained (but the ramps that
 * follow it), the critical batch size is measured by branching from process 1 of the variant it
 * names (src/analysis/critical-batch.ts: variants/<from>/seeds/<s>/critical-batch.json, resumed
 * branch by branch), and the ramps whose table is `measured` then run on that seed's table.
 * A ramp whose table is a file that does not exist yet is not run: one line says so, the report
 * lists it as waiting for its table, and a --resume once the table is there runs it (the
 * training run's config is the same).
 */
import * as fs from 'fs';
import { acquireLock } from '../core/lock';
import { GradscopeInputError } from '../core/errors';
import { removeStaleTemporaries } from '../core/stale-temporaries';
import { loadData } from '../data/load';
import { networkSpec } from '../models';
import { tokenWindowsFor } from '../engine/data-options';
import { holdsRun, readConfigFile, writeConfigFile } from '../store/config-file';
import { locksDir, pieceLockFile, seedDir } from '../store/study-paths';
import { variantDir } from '../store/switch-study-paths';
import type { Progress } from '../train/progress';
import { rampPhase } from '../train/ramp';
import { checkRunDirectory, runTraining } from '../train/run';
import { runSharpness, seedEvents, stopBefore } from './piece-work';
import {
  criticalTolerance,
  MEASURED_TABLE,
  variantArms,
  variantStudy,
  type SwitchStudyConfig,
  type SwitchVariant,
} from './switch-config';
import { measureCriticalBatch } from '../analysis/critical-batch';
import { criticalBatchFile } from '../store/critical-batch';
import type { StudyData } from '../data/load';
import type { TrainConfig } from '../train/config';
import { trainConfigOf } from './train-config';

/** The ramps of a variant that wait for their critical-batch table, with the file they need. */
export function waitingRamps(v: SwitchVariant): { phase: string; table: string }[] {
  return (v.process2.ramps ?? [])
    .filter(
      (r) => r.by === 'critical-batch' && r.table !== MEASURED_TABLE && !fs.existsSync(r.table!),
    )
    .map((r) => ({ phase: rampPhase(r), table: r.table! }));
}

/** The switch study's config as config.json records it (without its device). */
function recorded(c: SwitchStudyConfig): SwitchStudyConfig {
  const { device: _device, ...study } = c;
  return study;
}

/**
 * Runs (or, with `resume`, continues) a switch study in `runDir`. The caller holds the run
 * directory's lock (src/core/lock.ts), over the study and its report.
 *
 * @example
 * ```ts
 * import { makeProgress, readSwitchConfig, runSwitchStudy, writeSwitchReport } from 'gradscope';
 * const study = readSwitchConfig('configs/switch-demo.yaml');
 * await runSwitchStudy(study, 'runs/switch-demo', {
 *   resume: false,
 *   progress: makeProgress({ quiet: false }),
 * });
 * console.log(writeSwitchReport('runs/switch-demo').file);
 * ```
 */
export async function runSwitchStudy(
  c: SwitchStudyConfig,
  runDir: string,
  options: { resume: boolean; progress: Progress },
): Promise<void> {
  checkRunDirectory(runDir, options.resume);
  const study = recorded(c);
  if (options.resume) {
    const stored = readConfigFile(runDir);
    if (JSON.stringify(stored.switchStudy) !== JSON.stringify(study))
      throw new GradscopeInputError(
        `--resume: the config differs from the run's config.json; resume with the same config`,
      );
  }
  // a network that cannot be built is refused before config.json
  const spec = networkSpec(c.network);
  const data = loadData(c.data, { standardise: c.standardise, ...tokenWindowsFor(spec) });
  removeStaleTemporaries(runDir);
  if (!options.resume) {
    fs.mkdirSync(runDir, { recursive: true });
    writeConfigFile(runDir, { switchStudy: study, trainSize: data.train.size }, data.description);
  }
  const { progress } = options;
  const measuredRamps = (v: SwitchVariant) =>
    new Set(
      (v.process2.ramps ?? []).filter((r) => r.table === MEASURED_TABLE).map((r) => rampPhase(r)),
    );
  for (const seed of c.seeds) {
    const k = c.criticalBatch;
    const fromRun = k ? seedDir(variantDir(runDir, k.from), seed) : undefined;
    // every phase but the ramps that follow the critical batch size this study measures
    for (const v of c.variants) {
      const later = measuredRamps(v);
      await trainVariant(c, runDir, v, seed, fromRun, data, progress, (p) => !later.has(p));
    }
    if (!k || !fromRun || !c.variants.some((v) => measuredRamps(v).size > 0)) continue;
    await stopBefore(`the critical batch size of seed ${seed}`);
    progress.line(`seed ${seed}: the critical batch size along process 1 of ${k.from}`);
    await measureCriticalBatch(fromRun, {
      epochs: k.epochs,
      batchSizes: k.batchSizes,
      ...(k.examples !== undefined ? { examples: k.examples } : {}),
      ...(k.lrRule !== undefined ? { lrRule: k.lrRule } : {}),
      ...(k.sampleSize !== undefined ? { sampleSize: k.sampleSize } : {}),
      tolerance: criticalTolerance(k.tolerance),
      loss: k.loss ?? 'train',
      seed,
      progress,
      data,
    });
    for (const v of c.variants) {
      const later = measuredRamps(v);
      if (later.size)
        await trainVariant(c, runDir, v, seed, fromRun, data, progress, (p) => later.has(p));
    }
  }
}

/** A variant's training config for a seed: a `measured` table is the seed's own measurement. */
function variantTrainConfig(
  c: SwitchStudyConfig,
  v: SwitchVariant,
  seed: number,
  fromRun: string | undefined,
): TrainConfig {
  const config = trainConfigOf(variantStudy(c, v), seed);
  const ramps = config.piggyback?.ramps;
  if (!ramps || !fromRun) return config;
  return {
    ...config,
    piggyback: {
      ...config.piggyback!,
      ramps: ramps.map((r) =>
        r.table === MEASURED_TABLE ? { ...r, table: criticalBatchFile(fromRun) } : r,
      ),
    },
  };
}

/** The phases of a variant that `chosen` picks (process 1 first), then their sharpness. */
async function trainVariant(
  c: SwitchStudyConfig,
  runDir: string,
  v: SwitchVariant,
  seed: number,
  fromRun: string | undefined,
  data: StudyData,
  progress: Progress,
  chosen: (phase: string) => boolean,
): Promise<void> {
  const dir = variantDir(runDir, v.name);
  const seedRun = seedDir(dir, seed);
  const config = variantTrainConfig(c, v, seed, fromRun);
  const waiting = new Set(waitingRamps(v).map((w) => w.phase));
  fs.mkdirSync(locksDir(dir), { recursive: true });
  const phases = ['process1', ...variantArms(v)].filter(chosen);
  for (const phase of phases) {
    if (waiting.has(phase)) {
      progress.line(
        `seed ${seed} ${v.name}: ${phase} waits for its critical-batch table (gradscope analyze critical-batch); not run`,
      );
      continue;
    }
    await stopBefore(`${phase} of ${v.name}, seed ${seed}`);
    progress.line(`seed ${seed} ${v.name}: ${phase} in ${seedRun}`);
    const release = acquireLock(pieceLockFile(dir, `seed-${seed}.${phase}`), phase);
    try {
      await runTraining(config, seedRun, {
        resume: holdsRun(seedRun),
        progress,
        data,
        only: phase,
        events: seedEvents(dir, seed),
      });
    } finally {
      release();
    }
  }
  const variant = variantStudy(c, v);
  for (const phase of phases)
    if (phase !== 'process1' && !waiting.has(phase))
      await runSharpness(variant, dir, data, seed, phase, progress);
}
