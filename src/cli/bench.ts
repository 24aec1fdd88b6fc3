/** `gradscope bench [--quick] [--explore] [--out FILE]`, `gradscope bench --tune [--quick]`. */
import { runBench } from '../bench/run';
import { runTune } from '../bench/tune';
import { GradscopeInputError } from '../core/errors';
import { useDevice } from '../engine/device';
import { command, file, flag, value } from './command';

const OUT = 'bench/results.json';

export const benchCommand = command({
  summary:
    'time training steps, gradients and Experiment B points against PyTorch on this machine, ' +
    'with their GFLOP/s beside its matrix-multiply peak (on a GPU with --device ' +
    'cuda); rows more than 5% behind PyTorch under the built-in thread rules end it with ' +
    'advice to tune; --tune instead measures ' +
    'the thread split, memory and convolution memory format here and stores the fastest',
  example: 'gradscope bench --quick --only F1',
  globals: ['json', 'quiet', 'device', 'deterministic'],
  options: {
    quick: flag('fewer steps per workload (with --tune: seconds, one size of each family)'),
    only: value('TEXT', 'none: every workload', 'the workloads whose name contains TEXT'),
    explore: flag('also time gradscope under each thread setting'),
    out: file('FILE', OUT, 'where the results are written'),
    tune: flag(
      'measure thread split, Linear kernels, memory and convolution format per network family and batch size ' +
        '(about 12 minutes) and store the winners in $XDG_CACHE_HOME or ~/.cache/gradscope/tuning.json',
    ),
  },
  run(values, _positionals, log) {
    // both sides on one device: the CPU unless one is asked for (a GPU: --device cuda)
    const device = useDevice(values.device ?? 'cpu');
    if (values.tune) {
      if (device !== 'cpu')
        throw new GradscopeInputError(
          `--device ${String(values.device)}: gradscope bench --tune measures CPU settings only`,
        );
      return runTune({ quick: values.quick }, log);
    }
    return runBench(
      {
        device,
        ...(values.only !== undefined ? { only: values.only } : {}),
        quick: values.quick,
        explore: values.explore,
        out: values.out ?? OUT,
      },
      log,
    );
  },
});
