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
 * A ramp by the critical batch size whose table does not exist yet is not run: one line says
 * so, the report lists it as waiting for its table, and a --resume once the table is there runs
 * it (the training run's config is the same).
 */
import * as fs from 'fs';
import { acquireLock } from '../core/lock';
import { GradscopeInputError } from '../core/errors';
import { removeStaleTemporaries } from '../core/stale-temporaries';
import { loadData } from '../data/load';
import { networkSpec } from '../models';
import { holdsRun, readConfigFile, writeConfigFile } from '../store/config-file';
import { locksDir, pieceLockFile, seedDir } from '../store/study-paths';
import { variantDir } from '../store/switch-study-paths';
import type { Progress } from '../train/progress';
import { rampPhase } from '../train/ramp';
import { checkRunDirectory, runTraining } from '../train/run';
import { runSharpness, seedEvents, stopBefore } from './piece-work';
import {
  variantArms,
  variantStudy,
  type SwitchStudyConfig,
  type SwitchVariant,
} from './switch-config';
import { trainConfigOf } from './train-config';

/** The ramps of a variant that wait for their critical-batch table, with the file they need. */
export function waitingRamps(v: SwitchVariant): { phase: string; table: string }[] {
  return (v.process2.ramps ?? [])
    .filter((r) => r.by === 'critical-batch' && !fs.existsSync(r.table!))
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
  networkSpec(c.network); // a network that cannot be built is refused before config.json
  const data = loadData(c.data, { standardise: c.standardise });
  removeStaleTemporaries(runDir);
  if (!options.resume) {
    fs.mkdirSync(runDir, { recursive: true });
    writeConfigFile(runDir, { switchStudy: study, trainSize: data.train.size }, data.description);
  }
  const { progress } = options;
  for (const seed of c.seeds)
    for (const v of c.variants) {
      const variant = variantStudy(c, v);
      const dir = variantDir(runDir, v.name);
      const seedRun = seedDir(dir, seed);
      const config = trainConfigOf(variant, seed);
      const waiting = new Set(waitingRamps(v).map((w) => w.phase));
      fs.mkdirSync(locksDir(dir), { recursive: true });
      for (const phase of ['process1', ...variantArms(v)]) {
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
      for (const phase of variantArms(v))
        if (!waiting.has(phase)) await runSharpness(variant, dir, data, seed, phase, progress);
    }
}
