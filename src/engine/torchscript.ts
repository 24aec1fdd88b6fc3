/**
 * TorchScript modules (torch.jit.script(model).save(FILE)) as networks: the spec that names
 * one, and telling such an archive from a torch.save pickle without unpickling anything (a
 * TorchScript archive holds its code as `ARCHIVE/code/*.py`; torch.save's holds only data),
 * and the one warning about state gradscope does not hold.
 */
import * as path from 'path';
import type { NetworkSpec } from './layers';
import { withRegularFile } from '../core/regular-file';
import { checkEntriesFit, zipEntries } from './zip';

/** Whether `file` is a zip archive holding TorchScript code. */
export function isTorchScriptFile(file: string): boolean {
  try {
    return withRegularFile(file, (opened) => {
      for (const name of zipEntries(opened).keys())
        if (/(^|\/)code\/.*\.py$/.test(name)) return true;
      return false;
    });
  } catch {
    return false;
  }
}

/**
 * Whether a TorchScript archive holds convolution modules (torch.nn's Conv1d/2d/3d, scripted
 * or traced: their code lives under `code/__torch__/torch/nn/modules/conv`), so the engine
 * runs it with the convolutional networks' settings (threads.ts). False for a file that
 * cannot be read: it is refused with its own message where it is loaded.
 */
export function torchScriptHasConvolutions(file: string): boolean {
  try {
    return withRegularFile(file, (opened) => {
      for (const name of zipEntries(opened).keys())
        if (/(^|\/)code\/__torch__\/torch\/nn\/modules\/conv(\.py$|\/)/.test(name)) return true;
      return false;
    });
  } catch {
    return false;
  }
}

/** The spec of a TorchScript network: no layer list; input and classes are the module's own
 * business (0: not known before it runs). */
export function torchScriptSpec(file: string): NetworkSpec {
  return {
    name: path.basename(file),
    input: [0, 0, 0],
    classes: 0,
    layers: [],
    torchscript: path.resolve(file),
  };
}

/**
 * Refuses a module whose entries would inflate past the cap (src/core/size-caps.ts), before
 * libtorch's own reader (torch::jit::load) inflates them: that reader allocates what each
 * entry declares.
 */
export function checkTorchScriptFits(file: string): void {
  withRegularFile(file, (opened) =>
    checkEntriesFit(opened, [...zipEntries(opened).values()], "the module's entries"),
  );
}

const warned = new Set<string>();

/**
 * One line on stderr, once per module file and process, naming a TorchScript module's
 * buffers that are no batch norm's running statistics: gradscope leaves them in the module,
 * restores them after batch-mode passes and recalibration, but neither checkpoints them nor
 * resets them for line points, so an analysis that depends on them may not be what PyTorch
 * would compute.
 */
export function warnOfOtherState(file: string, names: string[]): void {
  if (names.length === 0 || warned.has(file)) return;
  warned.add(file);
  process.stderr.write(
    `gradscope: warning: ${path.basename(file)} holds state besides batch-norm statistics, not checkpointed (modes: docs/models.md): ${names.join(', ')}\n`,
  );
}
