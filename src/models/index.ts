/**
 * The networks of the study by name, and user networks from a JSON layer list
 * (the format of src/engine/layers.ts: {name, input, classes, layers}).
 */
import { parseBoundedJson } from '../core/bounded-json';
import { expected, GradscopeFileError, GradscopeInputError } from '../core/errors';
import { resolveNetwork, type NetworkSpec } from '../engine/layers';
import { readTextFile } from '../core/regular-file';
import { isTorchScriptFile, torchScriptSpec } from '../engine/torchscript';
import { c1, c3 } from './c1';
import { c2, c4 } from './c2';
import { f1 } from './f1';
import { gpt, gptSizes } from './gpt';
import { resnet20, resnet56, resnet56NoShort, wrn16x4 } from './resnet';

/**
 * The built-in networks by their upper-case names: the thesis' F1, C1, C2, C3, C4, ResNets
 * (RESNET20, RESNET56, RESNET56-NOSHORT, WRN16-4) and GPT (src/models/gpt.ts, its default
 * sizes: a character-level language model); each call builds a fresh layer list.
 *
 * @example
 * ```ts
 * import { NETWORKS } from 'gradscope';
 * for (const [name, spec] of Object.entries(NETWORKS))
 *   console.log(name, spec().layers.length, 'layers');
 * ```
 */
export const NETWORKS: Record<string, () => NetworkSpec> = {
  F1: f1,
  C1: c1,
  C2: c2,
  C3: c3,
  C4: c4,
  RESNET20: resnet20,
  RESNET56: resnet56,
  'RESNET56-NOSHORT': resnet56NoShort,
  'WRN16-4': wrn16x4,
  GPT: () => gpt(),
};

/** The built-in names as users write them. */
export const NETWORK_NAMES = [
  'F1',
  'C1',
  'C2',
  'C3',
  'C4',
  'ResNet20',
  'ResNet56',
  'ResNet56-noshort',
  'WRN16-4',
  'GPT',
];

/**
 * A built-in name (F1, C1, C2, C3, C4, ResNet20, ResNet56, ResNet56-noshort, WRN16-4, GPT; any
 * case), a GPT of given sizes (`GPT:layers=2,width=64`, src/models/gpt.ts `gptSizes`) or the
 * path of a JSON layer list.
 *
 * @example
 * ```ts
 * import { Network, networkSpec } from 'gradscope';
 * const f1 = new Network(networkSpec('F1'), { seed: 0 }); // built in
 * const mine = new Network(networkSpec('my-network.json'), { seed: 0 }); // a layer list
 * const scripted = new Network(networkSpec('model.ts.pt'), { seed: 0 }); // a TorchScript module
 * console.log(f1.parameterCount, mine.parameterCount, scripted.parameterCount);
 * ```
 */
export function networkSpec(nameOrFile: string): NetworkSpec {
  const builtIn = NETWORKS[nameOrFile.toUpperCase()];
  if (builtIn) return builtIn();
  if (/^gpt:/i.test(nameOrFile)) return gpt(gptSizes(nameOrFile));
  const language = TORCHSCRIPT_LANGUAGE_MODEL.exec(nameOrFile);
  if (language) return torchScriptLanguageModel(language[1]!, language[2]!, nameOrFile);
  if (/\.(pt|pth)$/i.test(nameOrFile)) {
    if (!isTorchScriptFile(nameOrFile))
      throw new GradscopeFileError(
        nameOrFile,
        'not a TorchScript module (save one with torch.jit.script(model).save(FILE)); a state_dict goes to --checkpoint as safetensors',
      );
    return torchScriptSpec(nameOrFile);
  }
  if (!nameOrFile.endsWith('.json'))
    throw new GradscopeInputError(
      `Expected one of ${NETWORK_NAMES.join(', ')}, GPT:SIZE=N,..., a .json layer list or a TorchScript .pt (a language model: MODULE.pt:context=N) for --network but received "${nameOrFile}"`,
    );
  // regular files only (a FIFO would hang), small, shallow: a layer list is all of that
  const parsed = parseBoundedJson(readTextFile(nameOrFile, 10 * 2 ** 20), 16);
  if ('problem' in parsed) throw new GradscopeFileError(nameOrFile, parsed.problem);
  const spec = parsed.value as NetworkSpec;
  resolveNetwork(spec);
  return spec;
}

/** `MODULE.pt:context=N`: the module's file and the context as written (checked where used). */
const TORCHSCRIPT_LANGUAGE_MODEL = /^(.+\.(?:pt|pth)):context=(.*)$/is;

/**
 * The TorchScript module file that a `--network` names, `MODULE.pt` or `MODULE.pt:context=N`,
 * or null for a built-in network, a GPT's sizes or a layer list. The one reader of that suffix
 * besides {@link networkSpec}: a TorchScript network carries its weights, so the analyses take
 * its file as their checkpoint.
 *
 * @example
 * ```ts
 * import { torchScriptFile } from 'gradscope';
 * torchScriptFile('lm.pt:context=64'); // 'lm.pt'
 * torchScriptFile('F1'); // null
 * ```
 */
export function torchScriptFile(network: string): string | null {
  const language = TORCHSCRIPT_LANGUAGE_MODEL.exec(network);
  if (language) return language[1]!;
  return /\.(pt|pth)$/i.test(network) ? network : null;
}

/**
 * A TorchScript language model, `MODULE.pt:context=N`: a module that takes int64 token ids
 * [B, T] with T up to N and returns next-token scores [B, T, V]; N is the window length its
 * token data is cut into (a module states no context that gradscope could read).
 */
function torchScriptLanguageModel(file: string, context: string, name: string): NetworkSpec {
  if (!/^[1-9]\d{0,6}$/.test(context))
    throw expected(
      'MODULE.pt:context=N with N a positive integer (the tokens of a window)',
      '--network',
      name,
    );
  const spec = networkSpec(file);
  return { ...spec, name: `${spec.name}:context=${context}`, input: [1, 1, Number(context)] };
}
