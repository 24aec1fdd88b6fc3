/**
 * `gradscope run <config.yaml|thesis> [--network F1|C1|C3] [--data ...] [--seeds 0,1,2] [--out DIR] [--resume]`
 * `gradscope demo [--out DIR]`: the thesis study at demo scale on the built-in MNIST.
 * `gradscope report <run-dir>`: rebuilds report.html from the files of a run.
 */
import * as path from 'path';
import { expected, GradscopeInputError } from '../engine/errors';
import { lockRunDirectory } from '../engine/lock';
import { measureSharpnessForStudy } from '../experiments/sharpness-hook';
import { threadsFor } from '../engine/threads';
import { CONFIG_DIR, readStudyConfig, thesisConfig, type StudyConfig } from '../experiments/config';
import { runStudy } from '../experiments/runner';
import { networkSpec } from '../models';
import { writeStudyReport } from '../report/study-report';
import { makeProgress } from '../train/progress';
import { resumeCommand, RunStopped, watchStopSignals } from '../train/stop';
import type { Log } from './log';
import { applyThreads } from './options';

const str = { type: 'string' as const };
const flag = { type: 'boolean' as const, default: false };

/** --seeds 0,1,2: distinct non-negative integers, replacing the config's seeds. */
function seedList(value: unknown): number[] {
  const list = String(value)
    .split(',')
    .map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (!list.every((n) => Number.isSafeInteger(n) && n >= 0) || new Set(list).size !== list.length)
    throw expected('a comma-separated list of distinct non-negative integers', '--seeds', value);
  return list;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

async function runConfig(
  config: StudyConfig,
  values: Record<string, unknown>,
  log: Log,
  defaultOut: string,
) {
  const out = (values.out as string | undefined) ?? defaultOut;
  if (values.resume && values.out === undefined)
    throw new GradscopeInputError('--resume needs --out, the run directory to continue');
  applyThreads(values.threads, threadsFor(networkSpec(config.network)));
  const progress = makeProgress({ quiet: log.quiet });
  const started = Date.now();
  log.info(
    `gradscope: ${config.name} (${config.scale} scale), ${config.network} on ${config.data}; run directory ${out}`,
  );
  // one lock over the study and its report, so no other writer slips in between
  const release = lockRunDirectory(out);
  let written: ReturnType<typeof writeStudyReport>;
  watchStopSignals();
  try {
    await runStudy(config, out, {
      resume: Boolean(values.resume),
      progress,
      hooks: { sharpness: measureSharpnessForStudy },
    });
    written = writeStudyReport(out);
  } catch (error) {
    if (error instanceof RunStopped) error.resume = resumeCommand(out);
    throw error;
  } finally {
    release();
  }
  const { file, model } = written;
  log.info(`gradscope: done in ${((Date.now() - started) / 1000).toFixed(0)} s; report: ${file}`);
  if (!log.json) process.stdout.write(`${out}\n`);
  return { runDir: out, report: file, summary: model.summary };
}

export const runCommand = {
  summary: 'run a study from a config file, or "thesis" (--network F1|C1|C3); resumable',
  options: { network: str, data: str, seeds: str, out: str, resume: flag },
  run(values: Record<string, unknown>, positionals: string[], log: Log) {
    const what = positionals[0];
    if (!what) throw new GradscopeInputError('gradscope run needs a config file or "thesis"');
    let config: StudyConfig;
    if (what === 'thesis')
      config = thesisConfig(String(values.network ?? 'F1'), values.data as string | undefined);
    else {
      config = readStudyConfig(what);
      if (values.network) config = { ...config, network: String(values.network) };
      if (values.data) config = { ...config, data: String(values.data) };
    }
    if (values.seed !== undefined)
      throw new GradscopeInputError(
        '--seed: set the seeds with --seeds 0,1,2 or in the config (seeds: [...])',
      );
    if (values.seeds !== undefined) config = { ...config, seeds: seedList(values.seeds) };
    const name =
      what === 'thesis'
        ? `thesis-${config.network}`
        : path.basename(what).replace(/\.(ya?ml|json)$/, '');
    return runConfig(config, values, log, path.join('runs', `${name}-${stamp()}`));
  },
};

export const demoCommand = {
  summary: 'the piggybacked study on the built-in MNIST at demo scale (minutes); writes a report',
  options: { out: str, resume: flag },
  run(values: Record<string, unknown>, _positionals: string[], log: Log) {
    const config = readStudyConfig(path.join(CONFIG_DIR, 'demo.yaml'));
    return runConfig(config, values, log, path.join('runs', `demo-${stamp()}`));
  },
};

export const reportCommand = {
  summary: 'rebuild report.html of a run directory from its files',
  options: {},
  run(_values: Record<string, unknown>, positionals: string[], log: Log) {
    const dir = positionals[0];
    if (!dir) throw new GradscopeInputError('gradscope report needs a run directory');
    const release = lockRunDirectory(dir);
    let file: string;
    try {
      file = writeStudyReport(dir).file;
    } finally {
      release();
    }
    if (!log.json) process.stdout.write(`${file}\n`);
    return { report: file };
  },
};
