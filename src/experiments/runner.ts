/**
 * The whole study from a config, as a directory that can be killed at any moment
 * and resumed, skipping work already done:
 *
 *   config.json                   the study config (a resume must match it)
 *   seeds/<s>/                    one training run per seed (src/train/run.ts):
 *                                 process 1, the branch, one arm per B2, Experiment B points
 *   lines/seed-<s>-<a>-<b>.json   Experiment A between final states of two arms
 *   sharpness/seed-<s>-<phase>.json   sharpness of each arm's final state (when configured)
 *   trajectories/seed-<s>.json    process 1 and every arm in one PCA plane (when configured)
 *   tensorboard/<s>/<phase>/      TensorBoard event files (epochs, Experiment B), and
 *   tensorboard/<s>/lines/        each line's loss by alpha index
 *   report.html, report.json, tables/, figures/
 *
 * Each piece of work is written atomically and skipped when its file exists.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  DEFAULT_LINE,
  lossAlongLine,
  parseGrid,
  solutionOf,
  type LineResult,
} from '../analysis/loss-line';
import { loadData, type StudyData } from '../data/load';
import { writeFileAtomic } from '../engine/atomic-write';
import { removeStaleTemporaries } from '../engine/stale-temporaries';
import { lockRunDirectory } from '../engine/lock';
import { GradscopeInputError } from '../engine/errors';
import { Network } from '../engine/network';
import { networkSpec } from '../models';
import { loadNetwork } from '../train/checkpoint';
import type { TrainConfig } from '../train/config';
import type { Progress } from '../train/progress';
import { RunStopped, stopRequested, yieldToSignals } from '../train/stop';
import { checkRunDirectory, runTraining, type PhaseSummary } from '../train/run';
import { TensorBoardSink } from '../train/tensorboard';
import { analysisHook } from './analysis-schedule';
import type { StudyConfig } from './config';
import { studyTrajectory } from './trajectory-hook';

export interface StudyResult {
  runDir: string;
  seeds: { seed: number; phases: PhaseSummary[] }[];
}

export interface StudyHooks {
  /** Sharpness of a final state (issue 8's analysis), when the config asks for it. */
  sharpness?: (
    network: Network,
    data: StudyData,
    config: NonNullable<StudyConfig['sharpness']>,
    seed: number,
  ) => unknown;
}

export function trainConfigOf(study: StudyConfig, seed: number): TrainConfig {
  return {
    network: study.network,
    data: study.data,
    seed,
    optimizer: study.optimizer,
    batchSize: study.process1.batchSize,
    epochs: study.process1.epochs,
    ...(study.process1.convergence ? { convergence: study.process1.convergence } : {}),
    schedule: { kind: 'constant' },
    piggyback: { arms: study.process2.arms, epochs: study.process2.epochs },
    standardise: study.standardise,
  };
}

export function finalCheckpoint(runDir: string, seed: number, phase: string): string | undefined {
  const dir = path.join(runDir, 'seeds', String(seed), 'checkpoints', phase);
  if (!fs.existsSync(dir)) return undefined;
  const last = fs
    .readdirSync(dir)
    .filter((n) => /^epoch-\d+\.safetensors$/.test(n))
    .sort()
    .pop();
  return last ? path.join(dir, last) : undefined;
}

/**
 * A line in TensorBoard: run "lines", step = the index of alpha on the grid, one tag per
 * line and quantity (alpha itself among them, to read the step as alpha).
 */
export function lineEvents(events: TensorBoardSink, line: LineResult): void {
  const tag = `line/${line.from}-${line.to}`;
  line.points.forEach((p, i) =>
    events.scalars('lines', i, {
      [`${tag}/alpha`]: p.alpha,
      ...(p.train
        ? { [`${tag}/train_loss`]: p.train.loss, [`${tag}/train_accuracy`]: p.train.accuracy }
        : {}),
      ...(p.test
        ? { [`${tag}/test_loss`]: p.test.loss, [`${tag}/test_accuracy`]: p.test.accuracy }
        : {}),
    }),
  );
}

/** Between pieces of work: a SIGTERM or SIGINT that came stops the study here. */
async function stopBefore(piece: string): Promise<void> {
  await yieldToSignals();
  const signal = stopRequested();
  if (signal) throw new RunStopped(signal, `stopped by ${signal} before ${piece}`);
}

/** Runs the study under the run directory's lock (see runTraining). */
export async function runStudy(
  study: StudyConfig,
  runDir: string,
  options: { resume: boolean; progress: Progress; hooks?: StudyHooks },
): Promise<StudyResult> {
  if (options.resume) checkRunDirectory(runDir, true);
  const data = loadData(study.data, { standardise: study.standardise });
  const release = lockRunDirectory(runDir);
  try {
    return await studyLocked(study, runDir, data, options);
  } finally {
    release();
  }
}

async function studyLocked(
  study: StudyConfig,
  runDir: string,
  data: StudyData,
  options: { resume: boolean; progress: Progress; hooks?: StudyHooks },
): Promise<StudyResult> {
  const configFile = path.join(runDir, 'config.json');
  checkRunDirectory(runDir, options.resume);
  if (options.resume) {
    const stored = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { study: StudyConfig };
    if (JSON.stringify(stored.study) !== JSON.stringify(study))
      throw new GradscopeInputError(
        `--resume: the config differs from the run's config.json; resume with the same config`,
      );
  }
  if (options.resume) removeStaleTemporaries(runDir); // lines, tables: left by a kill mid-write
  const spec = networkSpec(study.network);
  if (!options.resume) {
    fs.mkdirSync(runDir, { recursive: true });
    writeFileAtomic(
      configFile,
      JSON.stringify(
        { gradscope: require('../../../package.json').version, study, data: data.description },
        null,
        2,
      ) + '\n',
    );
  }
  const { progress } = options;
  const result: StudyResult = { runDir, seeds: [] };

  for (const seed of study.seeds) {
    const seedDir = path.join(runDir, 'seeds', String(seed));
    const resumeSeed = fs.existsSync(path.join(seedDir, 'config.json'));
    progress.line(`seed ${seed}: ${resumeSeed ? 'continuing' : 'starting'} training in ${seedDir}`);
    const events = new TensorBoardSink(path.join(runDir, 'tensorboard', String(seed)));
    const train = await runTraining(trainConfigOf(study, seed), seedDir, {
      resume: resumeSeed,
      progress,
      data,
      afterEpoch: analysisHook(study.analysis, seed, progress),
      alsoRecord: { analysis: study.analysis },
      events,
    });
    result.seeds.push({ seed, phases: train.phases });

    // Experiment A between final states
    for (const [from, to] of study.lines.pairs) {
      const file = path.join(runDir, 'lines', `seed-${seed}-${from}-${to}.json`);
      if (fs.existsSync(file)) continue;
      await stopBefore(`the line ${from} -> ${to} of seed ${seed}`);
      const a = finalCheckpoint(runDir, seed, from);
      const b = finalCheckpoint(runDir, seed, to);
      if (!a || !b) continue; // an arm that diverged before its first epoch
      const network = new Network(spec, { seed });
      loadNetwork(a, network);
      const wa = solutionOf(network, from);
      loadNetwork(b, network);
      const wb = solutionOf(network, to);
      const line = lossAlongLine(
        network,
        wa,
        wb,
        data,
        {
          ...DEFAULT_LINE,
          alphas: parseGrid(study.lines.alpha, 'lines.alpha'),
          bn: study.lines.bn,
          sampleSize: Math.min(study.lines.sampleSize, data.train.size),
          seed,
        },
        (done, total) => progress.work(`seed ${seed} line ${from} -> ${to}`, done, total),
      );
      fs.mkdirSync(path.dirname(file), { recursive: true });
      // events first: a kill between the two redoes the line, and the sink skips what it holds
      lineEvents(events, line);
      writeFileAtomic(file, JSON.stringify({ seed, ...line }) + '\n');
      progress.line(
        `seed ${seed}: line ${from} -> ${to} done (${line.points.length} points, ${line.seconds.toFixed(1)} s)`,
      );
    }

    // Sharpness of each arm's final state
    if (study.sharpness && options.hooks?.sharpness) {
      for (const b2 of study.process2.arms) {
        const phase = `arm-${b2}`;
        const file = path.join(runDir, 'sharpness', `seed-${seed}-${phase}.json`);
        const checkpoint = finalCheckpoint(runDir, seed, phase);
        if (fs.existsSync(file) || !checkpoint) continue;
        await stopBefore(`the sharpness of ${phase} of seed ${seed}`);
        const network = new Network(spec, { seed });
        loadNetwork(checkpoint, network);
        const measured = options.hooks.sharpness(network, data, study.sharpness, seed);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        writeFileAtomic(file, JSON.stringify({ seed, phase, ...(measured as object) }) + '\n');
        progress.line(`seed ${seed}: sharpness of ${phase} done`);
      }
    }

    // Training trajectories: process 1 and every arm in one plane
    if (study.trajectory) {
      const file = path.join(runDir, 'trajectories', `seed-${seed}.json`);
      if (!fs.existsSync(file)) {
        const trajectory = studyTrajectory(
          runDir,
          seed,
          spec,
          data,
          study,
          study.trajectory,
          (done, total) => progress.work(`seed ${seed} trajectory`, done, total),
        );
        if (trajectory) {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          writeFileAtomic(file, JSON.stringify({ seed, ...trajectory }) + '\n');
          progress.line(
            `seed ${seed}: trajectory done (${study.trajectory.points ** 2} points, ${trajectory.seconds.toFixed(1)} s)`,
          );
        }
      }
    }
  }
  return result;
}
