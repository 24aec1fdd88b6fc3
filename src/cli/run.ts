/**
 * `gradscope run <config.yaml|thesis> [--network F1|C1|C3] [--data ...] [--seeds 0,1,2] [--out DIR] [--resume]`
 *   [--plan | --only PIECE,... | --jobs N | --executor slurm [--slurm-...] [--dry-run]]: the
 *   study as pieces (src/experiments/pieces.ts), listed, run alone, in parallel or on Slurm.
 * `gradscope demo [--out DIR]`: the thesis study at demo scale on the built-in MNIST.
 * `gradscope report <run-dir>`: rebuilds report.html from the files of a run.
 */
import * as path from 'path';
import { useDevice } from '../engine/device';
import { expected, GradscopeInputError } from '../core/errors';
import { lockRunDirectory } from '../core/lock';
import { threadsFor } from '../engine/threads';
import { isSwitchStudy } from '../experiments/switch-config';
import {
  CONFIG_DIR,
  readRawConfig,
  readStudyConfig,
  thesisConfig,
  type SlurmSettings,
  type StudyConfig,
} from '../experiments/config';
import { runStudy } from '../experiments/runner';
import { networkSpec } from '../models';
import { writeStudyReport } from '../report/study-report';
import { makeProgress } from '../train/progress';
import { resumeCommand, RunStopped, watchStopSignals } from '../train/stop';
import { studyModel } from '../report/study-model';
import { DIVERGED_EXIT_STATUS } from '../train/divergence';
import {
  absent,
  choice,
  command,
  flag,
  folder,
  integer,
  parsed,
  repeated,
  optionValues,
  TRAINING_EXIT_STATUS,
  value,
  type CommandValues,
} from './command';
import type { Log } from '../core/log';
import { applyThreads, subsetOption } from './options';
import { runJobs, runOnly, type StudySource } from './run-pieces';
import { planText, studyPieces } from '../experiments/pieces';
import { reportHtmlFile } from '../store/study-paths';
import { runSwitchConfig } from './run-switch';
import { holdsSwitchStudy } from '../store/config-file';
import { writeSwitchReport } from '../report/switch-report';

/** --seeds 0,1,2: distinct non-negative integers, replacing the config's seeds. */
function seedList(value: string): number[] {
  const list = value.split(',').map((x) => (x.trim() === '' ? NaN : Number(x)));
  if (!list.every((n) => Number.isSafeInteger(n) && n >= 0) || new Set(list).size !== list.length)
    throw expected('a comma-separated list of distinct non-negative integers', '--seeds', value);
  return list;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
}

/** The options only the Slurm executor reads. */
const SLURM_ONLY = [
  'slurm-partition',
  'slurm-time',
  'slurm-gpus',
  'slurm-account',
  'slurm-option',
  'dry-run',
] as const;

async function runConfig(
  config: StudyConfig,
  values: RunValues,
  log: Log,
  defaultOut: string,
  source: StudySource,
  slurm?: SlurmSettings,
) {
  if (values.plan) {
    const pieces = studyPieces(config);
    if (!log.json) process.stdout.write(`${planText(pieces)}\n`);
    return { pieces: pieces.map(({ name, after }) => ({ name, after })) };
  }
  const executor = values.executor;
  if (executor !== 'slurm') {
    const slurmOnly = SLURM_ONLY.find((o) => {
      const v = values[o];
      return v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);
    });
    if (slurmOnly) throw new GradscopeInputError(`--${slurmOnly} needs --executor slurm`);
  }
  if (values.only !== undefined && values.jobs !== undefined)
    throw new GradscopeInputError(
      '--only runs pieces in this process, --jobs the whole study in child processes: give one',
    );
  const out = values.out ?? defaultOut;
  if ((values.resume || values.only !== undefined) && values.out === undefined)
    throw new GradscopeInputError(
      `${values.only !== undefined ? '--only' : '--resume'} needs --out, the run directory`,
    );
  if (executor === 'slurm') {
    const { runSlurm } = require('./slurm') as typeof import('./slurm');
    return runSlurm(config, out, values, log, source, slurm);
  }
  const jobs = values.jobs;
  const pools = applyThreads(values.threads, threadsFor(networkSpec(config.network)));
  const progress = makeProgress({ quiet: log.quiet });
  const started = Date.now();
  if (values.only !== undefined) {
    watchStopSignals();
    try {
      await runOnly(config, out, values.only, progress);
    } catch (error) {
      if (error instanceof RunStopped) error.resume = resumeCommand(out);
      throw error;
    }
    log.info(`gradscope: ${values.only} done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return { runDir: out, pieces: values.only.split(',') };
  }
  if (jobs !== undefined) {
    log.info(
      `gradscope: ${config.name} (${config.scale} scale), ${config.network} on ${config.data}; run directory ${out}; ${jobs} job${jobs === 1 ? '' : 's'}`,
    );
    try {
      await runJobs(config, out, {
        jobs,
        threads: Math.max(pools.torch, pools.blas),
        resume: values.resume,
        source,
        log,
      });
    } catch (error) {
      if (error instanceof RunStopped) error.resume = resumeCommand(out);
      throw error;
    }
    const file = reportHtmlFile(out);
    log.info(`gradscope: done in ${((Date.now() - started) / 1000).toFixed(0)} s; report: ${file}`);
    if (!log.json) process.stdout.write(`${out}\n`);
    exitOnDivergence(studyModel(out).statuses);
    return { runDir: out, report: file };
  }
  log.info(
    `gradscope: ${config.name} (${config.scale} scale), ${config.network} on ${config.data}; run directory ${out}`,
  );
  // one lock over the study and its report, so no other writer slips in between
  const release = lockRunDirectory(out);
  let written: ReturnType<typeof writeStudyReport>;
  watchStopSignals();
  try {
    await runStudy(config, out, { resume: values.resume, progress });
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
  exitOnDivergence(model.statuses);
  return { runDir: out, report: file, summary: model.summary };
}

/**
 * A whole study in which a phase diverged exits DIVERGED_EXIT_STATUS once its report is
 * written. One piece (--only) exits 0: its result, divergence included, is recorded for the
 * pieces after it (the report shows it), and a non-zero status would cancel them under Slurm.
 */
function exitOnDivergence(statuses: { seed: number; phase: string; status: string }[]): void {
  const diverged = statuses
    .filter((s) => s.status === 'diverged')
    .map((s) => `seed ${s.seed} ${s.phase}`);
  if (diverged.length === 0) return;
  // said even with --quiet: it is why the exit status is not 0
  process.stderr.write(
    `gradscope: ${diverged.join(', ')} diverged (see the report); exit status ${DIVERGED_EXIT_STATUS}\n`,
  );
  process.exitCode = DIVERGED_EXIT_STATUS;
}

const RUN_EXIT_STATUS = [
  ...TRAINING_EXIT_STATUS,
  '      --only PIECE exits 0 on divergence (the report shows it), as do --plan and --executor slurm',
];

/** The options of `run` (`demo` declares its --out and --resume alike). */
const runOptions = {
  network: value('NET', "the config's (thesis: F1)", 'F1, C1, C3 for the thesis, or any network'),
  data: value('D', "the config's", 'mnist, fashion-mnist, or a folder or file of data'),
  subset: parsed(
    'TRAIN[,TEST]',
    "the config's subset (all)",
    'only the first examples of each set (token data: windows)',
    subsetOption,
  ),
  seeds: parsed('LIST', "the config's", "the seeds, replacing the config's", seedList),
  out: folder('DIR', 'runs/NAME-TIME', 'the run directory'),
  resume: flag('continue the study in --out'),
  plan: flag('list the pieces of the study and what each waits for; run nothing'),
  only: value('PIECE,...', 'none: the whole study', 'run these pieces in this process'),
  jobs: integer('N', absent('none: one process'), 'run the study as child processes, N at once', {
    max: 256,
  }),
  executor: choice(['local', 'slurm'], 'local', 'slurm: one sbatch job per piece'),
  'dry-run': flag('with slurm: write the job scripts, submit nothing'),
  'slurm-partition': value('P', "the config's slurm section, or none", 'sbatch --partition'),
  'slurm-time': value('T', "the config's slurm section, or none", 'sbatch --time'),
  'slurm-gpus': value('G', "the config's slurm section, or none", 'sbatch --gpus'),
  'slurm-account': value('A', "the config's slurm section, or none", 'sbatch --account'),
  'slurm-option': repeated('OPT', 'none', 'another sbatch option, as is'),
};

type RunValues = CommandValues<typeof runOptions>;

export const runCommand = command({
  summary: 'run a study from a config file, or "thesis" (--network F1|C1|C3); resumable',
  operands: '<config.yaml|thesis>',
  example: 'gradscope run thesis --network F1 --seeds 0,1,2 --out runs/thesis-f1',
  refusedGlobals: ['seed'],
  globals: ['threads', 'json', 'quiet', 'image-size', 'device', 'deterministic'],
  exitStatus: RUN_EXIT_STATUS,
  options: runOptions,
  run(values, positionals, log) {
    const what = positionals[0];
    if (!what) throw new GradscopeInputError('gradscope run needs a config file or "thesis"');
    let config: StudyConfig;
    if (what !== 'thesis') {
      const raw = readRawConfig(what);
      if (isSwitchStudy(raw)) {
        if (values.seed !== undefined)
          throw new GradscopeInputError(
            '--seed: set the seeds with --seeds 0,1,2 or in the config',
          );
        if (values.subset !== undefined)
          throw new GradscopeInputError(
            '--subset: a switch study reads its data whole (subset is a study config field)',
          );
        const name = path.basename(what).replace(/\.(ya?ml|json)$/, '');
        return runSwitchConfig(what, raw, values, log, path.join('runs', `${name}-${stamp()}`));
      }
    }
    if (what === 'thesis') config = thesisConfig(values.network ?? 'F1', values.data);
    else {
      config = readStudyConfig(what);
      if (values.network) config = { ...config, network: values.network };
      if (values.data) config = { ...config, data: values.data };
    }
    if (values.subset) config = { ...config, subset: { ...config.subset, ...values.subset } };
    if (values.seed !== undefined)
      throw new GradscopeInputError(
        '--seed: set the seeds with --seeds 0,1,2 or in the config (seeds: [...])',
      );
    if (values.seeds !== undefined) config = { ...config, seeds: values.seeds };
    const name =
      what === 'thesis'
        ? `thesis-${config.network}`
        : path.basename(what).replace(/\.(ya?ml|json)$/, '');
    const source: StudySource = {
      what: what === 'thesis' ? what : path.resolve(what),
      // what a piece run elsewhere (--jobs, Slurm) needs to compute the same study the same way
      options: [
        ...(
          [
            ['network', values.network],
            ['data', values.data],
            ['subset', values.subset && Object.values(values.subset).join(',')],
            ['seeds', values.seeds?.join(',')],
            ['image-size', values['image-size']],
            ['device', values.device],
          ] as const
        ).flatMap(([o, v]) => (v !== undefined ? [`--${o}`, String(v)] : [])),
        ...(values.deterministic ? ['--deterministic'] : []),
      ],
    };
    // the slurm section says how to submit, the device where to compute, not what the study
    // is: neither goes into config.json; --device wins over the config's device
    const { slurm, device, ...study } = config;
    if (device !== undefined && values.device === undefined) useDevice(device, `${what}: device`);
    return runConfig(study, values, log, path.join('runs', `${name}-${stamp()}`), source, slurm);
  },
});

export const demoCommand = command({
  summary: 'the piggybacked study on the built-in MNIST at demo scale (minutes); writes a report',
  example: 'gradscope demo --out runs/demo',
  globals: ['threads', 'json', 'quiet', 'device', 'deterministic'],
  exitStatus: TRAINING_EXIT_STATUS,
  options: {
    out: folder('DIR', 'runs/demo-TIME', 'the run directory'),
    resume: flag('continue the demo in --out'),
  },
  run(values, _positionals, log) {
    const file = path.join(CONFIG_DIR, 'demo.yaml');
    const config = readStudyConfig(file);
    // run's values with none of its own options given but the demo's --out and --resume
    const asRun = { ...optionValues(runOptions, {}), ...values };
    return runConfig(config, asRun, log, path.join('runs', `demo-${stamp()}`), {
      what: path.resolve(file),
      options: [],
    });
  },
});

export const reportCommand = command({
  summary: 'rebuild report.html of a run directory from its files',
  operands: '<run-dir>',
  example: 'gradscope report runs/thesis-f1',
  globals: ['json', 'quiet'],
  options: {},
  run(_values, positionals, log) {
    const dir = positionals[0];
    if (!dir) throw new GradscopeInputError('gradscope report needs a run directory');
    const release = lockRunDirectory(dir);
    let file: string;
    try {
      file = holdsSwitchStudy(dir) ? writeSwitchReport(dir).file : writeStudyReport(dir).file;
    } finally {
      release();
    }
    if (!log.json) process.stdout.write(`${file}\n`);
    return { report: file };
  },
});
