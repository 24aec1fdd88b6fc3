/** `gradscope info`: the engine, its threads and BLAS, as this process sees them. */
import { addon } from '../engine/native';
import { threads } from '../engine/threads';
import type { Command } from './command';

export const infoCommand: Command = {
  summary: 'show the engine: libtorch version, threads, BLAS',
  example: 'gradscope info --json',
  options: {},
  run(_values, _positionals, log) {
    const result = { libtorch: addon().torchVersion, threads: threads() };
    if (!log.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result;
  },
};
