/**
 * `gradscope run <switch-config.yaml> [--seeds 0,1] [--data ...] [--network ...] [--out DIR]
 * [--resume]`: a switch study (src/experiments/switch-config.ts), sequential in this process,
 * then its report. The piece options (--plan, --only, --jobs, --executor slurm) are a study's,
 * refused here in one line.
 */
import * as path from 'path';
import { GradscopeInputError } from '../core/errors';
import { lockRunDirectory } from '../core/lock';
import type { Log } from '../core/log';
import { useDevice } from '../engine/device';
import { threadsFor } from '../engine/threads';
import { switchConfigFrom, type SwitchStudyConfig } from '../experiments/switch-config';
import { runSwitchStudy } from '../experiments/switch-runner';
import { networkSpec } from '../models';
import { writeSwitchReport } from '../report/switch-report';
import { makeProgress } from '../train/progress';
import { resumeCommand, RunStopped, watchStopSignals } from '../train/stop';
import { applyThreads } from './options';
import type { ThreadSettings } from '../engine/threads';

/** The run options a switch study reads (the rest must be left unset). */
export interface SwitchRunValues {
  network?: string;
  data?: string;
  seeds?: number[];
  out?: string;
  resume: boolean;
  plan: boolean;
  only?: string;
  jobs?: number;
  executor: 'local' | 'slurm';
  threads?: ThreadSettings;
  device?: string;
}

export async function runSwitchConfig(
  file: string,
  raw: Record<string, unknown>,
  values: SwitchRunValues,
  log: Log,
  defaultOut: string,
): Promise<{ runDir: string; report: string }> {
  const refused = values.plan
    ? '--plan'
    : values.only !== undefined
      ? '--only'
      : values.jobs !== undefined
        ? '--jobs'
        : values.executor === 'slurm'
          ? '--executor slurm'
          : undefined;
  if (refused)
    throw new GradscopeInputError(
      `${refused}: ${file} is a switch study, which runs in one process (gradscope run ${path.basename(file)} --out DIR)`,
    );
  let config: SwitchStudyConfig = switchConfigFrom(file, raw);
  if (values.network) config = { ...config, network: values.network };
  if (values.data) config = { ...config, data: values.data };
  if (values.seeds) config = { ...config, seeds: values.seeds };
  if (values.resume && values.out === undefined)
    throw new GradscopeInputError('--resume needs --out, the run directory');
  const { device, ...study } = config;
  if (device !== undefined && values.device === undefined) useDevice(device, `${file}: device`);
  const out = values.out ?? defaultOut;
  applyThreads(values.threads, threadsFor(networkSpec(study.network)));
  const progress = makeProgress({ quiet: log.quiet });
  const started = Date.now();
  log.info(
    `gradscope: ${study.name} (${study.scale} scale, a switch study of ${study.variants.length} variants), ${study.network} on ${study.data}; run directory ${out}`,
  );
  const release = lockRunDirectory(out);
  let written: string;
  watchStopSignals();
  try {
    await runSwitchStudy(study, out, { resume: values.resume, progress });
    written = writeSwitchReport(out).file;
  } catch (error) {
    if (error instanceof RunStopped) error.resume = resumeCommand(out);
    throw error;
  } finally {
    release();
  }
  log.info(
    `gradscope: done in ${((Date.now() - started) / 1000).toFixed(0)} s; report: ${written}`,
  );
  if (!log.json) process.stdout.write(`${out}\n`);
  return { runDir: out, report: written };
}
