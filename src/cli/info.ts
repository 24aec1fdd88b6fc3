/** `gradscope info`: the engine, its threads and BLAS, as this process sees them. */
import { addon } from '../engine/native';
import { threads } from '../engine/threads';
import { tuning } from '../engine/tuning';
import type { Log } from './log';

export const infoCommand = {
  summary: 'show the engine: libtorch version, threads, BLAS, the tuning file',
  options: {},
  run(_values: Record<string, unknown>, _positionals: string[], log: Log) {
    const result = { libtorch: addon().torchVersion, threads: threads(), tuning: tuning() };
    if (!log.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  },
};
