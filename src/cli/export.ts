/**
 * `gradscope export NETWORK --pytorch`: prints the Python module defining the equivalent
 * nn.Module (same state_dict names), so a PyTorch user can train it and analyse it here.
 */
import { GradscopeInputError } from '../core/errors';
import { networkSpec } from '../models';
import { pytorchModule } from '../models/pytorch-module';
import { command, flag } from './command';

export const exportCommand = command({
  summary: 'print a network as PyTorch code: export NETWORK --pytorch',
  operands: 'NETWORK',
  example: 'gradscope export C1 --pytorch > c1.py',
  globals: ['json', 'quiet'],
  options: { pytorch: flag('print the equivalent nn.Module as Python source; required') },
  run(values, positionals, log) {
    const [name, ...rest] = positionals;
    if (!name || rest.length)
      throw new GradscopeInputError(
        `Expected one network (a built-in name or a .json layer list) after "export" but received ${positionals.length ? JSON.stringify(positionals.join(' ')) : 'nothing'}`,
      );
    if (!values.pytorch)
      throw new GradscopeInputError('Expected --pytorch for export (the one format it writes)');
    const spec = networkSpec(name);
    if (spec.torchscript)
      throw new GradscopeInputError(
        `${name} is a TorchScript module already: PyTorch loads it with torch.jit.load`,
      );
    const source = pytorchModule(spec);
    if (!log.json) process.stdout.write(source);
    return { pytorch: source };
  },
});
