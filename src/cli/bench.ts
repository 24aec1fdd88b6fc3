/** `gradscope bench [--quick] [--explore] [--out FILE]`, `gradscope bench --tune [--quick]`. */
import { runBench } from '../bench/run';
import { runTune } from '../bench/tune';
import type { Log } from './log';

export const benchCommand = {
  summary:
    'time training steps and gradients against PyTorch on this machine; --tune instead measures ' +
    'the thread split, memory and convolution memory format here (about 3 minutes, --quick: ' +
    'seconds) and stores the fastest in $XDG_CACHE_HOME or ~/.cache/gradscope/tuning.json',
  options: {
    quick: { type: 'boolean' as const, default: false },
    only: { type: 'string' as const },
    explore: { type: 'boolean' as const, default: false },
    out: { type: 'string' as const, default: 'bench/results.json' },
    tune: { type: 'boolean' as const, default: false },
  },
  run(values: Record<string, unknown>, _positionals: string[], log: Log) {
    if (values.tune) return runTune({ quick: Boolean(values.quick) }, log);
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
