/** `gradscope bench [--quick] [--explore] [--out FILE]`. */
import { runBench } from '../bench/run';
import { GradscopeInputError } from '../engine/errors';
import { useDevice } from '../engine/device';
import type { Log } from './log';

export const benchCommand = {
  summary: 'time training steps and gradients against PyTorch on this machine',
  options: {
    quick: { type: 'boolean' as const, default: false },
    only: { type: 'string' as const },
    explore: { type: 'boolean' as const, default: false },
    out: { type: 'string' as const, default: 'bench/results.json' },
  },
  run(values: Record<string, unknown>, _positionals: string[], log: Log) {
    // the table compares with PyTorch on the CPU: the CPU unless a GPU is asked for, which the
    // bench does not time yet
    if (useDevice(values.device ?? 'cpu') !== 'cpu')
      throw new GradscopeInputError('--device: gradscope bench times the CPU only for now');
    return runBench(
      {
        ...(values.only !== undefined ? { only: String(values.only) } : {}),
        quick: Boolean(values.quick),
        explore: Boolean(values.explore),
        out: String(values.out),
      },
      log,
    );
  },
};
