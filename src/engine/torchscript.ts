/**
 * TorchScript modules (torch.jit.script(model).save(FILE)) as networks: the spec that names
 * one, and telling such an archive from a torch.save pickle without unpickling anything (a
 * TorchScript archive holds its code as `ARCHIVE/code/*.py`; torch.save's holds only data).
 */
import * as path from 'path';
import type { NetworkSpec } from './layers';
import { withRegularFile } from '../core/regular-file';
import { zipEntries } from './zip';

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
