/**
 * A small GPT (nanoGPT's architecture, Karpathy 2022, dropout 0): token and position
 * embeddings, `layers` pre-LayerNorm blocks of causal self-attention and an MLP with GELU, a
 * final layer norm, and the output head, whose weight is the token embedding's (tied, as in
 * nanoGPT). Its input is a window of at most `context` token ids, its output next-token scores
 * at every position; the same seed gives nanoGPT's initial weights (GPT(config) after
 * torch.manual_seed, in float32).
 */
import { expected } from '../core/errors';
import type { LayerSpec, NetworkSpec } from '../engine/layers';

/**
 * The sizes of a GPT (nanoGPT's GPTConfig names in parentheses).
 *
 * @example
 * ```ts
 * import { gpt, Network, type GptConfig } from 'gradscope';
 * const tiny: GptConfig = { vocabulary: 65, context: 32, layers: 2, heads: 2, width: 32 };
 * const network = new Network(gpt(tiny), { seed: 0 });
 * console.log(network.parameterCount);
 * ```
 */
export interface GptConfig {
  /** Token ids 0..vocabulary-1 (vocab_size). */
  vocabulary: number;
  /** The longest window (block_size). */
  context: number;
  /** Transformer blocks (n_layer). */
  layers: number;
  /** Attention heads per block (n_head); they divide the width. */
  heads: number;
  /** Embedding width (n_embd). */
  width: number;
  /** Biases in the Linear layers and layer norms (bias); default true, as nanoGPT's. */
  bias?: boolean;
}

/**
 * The built-in GPT's sizes (`--network GPT`): a character-level model of 834 304 parameters.
 *
 * @example
 * ```ts
 * import { DEFAULT_GPT, gpt, Network } from 'gradscope';
 * // the built-in GPT with a longer context
 * const network = new Network(gpt({ ...DEFAULT_GPT, context: 128 }), { seed: 0 });
 * console.log(network.parameterCount); // 842496
 * ```
 */
export const DEFAULT_GPT: GptConfig = {
  vocabulary: 256,
  context: 64,
  layers: 4,
  heads: 4,
  width: 128,
};

/**
 * The layer list of a GPT of these sizes: `0` the embeddings (`0.wte.weight`, `0.wpe.weight`),
 * `1`..`layers` the blocks, `layers + 1` the final layer norm, then the tied head.
 *
 * @example
 * ```ts
 * import { gpt, Network } from 'gradscope';
 * const spec = gpt({ vocabulary: 256, context: 64, layers: 4, heads: 4, width: 128 });
 * console.log(spec.input, spec.classes); // [ 1, 1, 64 ] 256
 * const network = new Network(spec, { seed: 1 });
 * console.log(network.parameterTable[0]!.name); // 0.wte.weight
 * ```
 */
export function gpt(config: GptConfig = DEFAULT_GPT): NetworkSpec {
  const { vocabulary, context, layers: blocks, heads, width, bias = true } = config;
  const layers: LayerSpec[] = [{ type: 'embedding', vocabulary, width }];
  for (let i = 0; i < blocks; i++) layers.push({ type: 'block', heads, bias });
  layers.push({ type: 'layernorm', bias }, { type: 'head' });
  return { name: 'GPT', input: [1, 1, context], classes: vocabulary, layers };
}

/**
 * The sizes a network name may set after `GPT:`, in GptConfig's names.
 *
 * @example
 * ```ts
 * import { GPT_SIZES } from 'gradscope';
 * console.log(`GPT:${GPT_SIZES.map((s) => `${s}=N`).join(',')}`);
 * ```
 */
export const GPT_SIZES = ['vocabulary', 'context', 'layers', 'heads', 'width'] as const;

/**
 * The sizes a network name gives: `GPT` is DEFAULT_GPT, and `GPT:layers=2,width=64,context=32`
 * sets some of them (the others stay DEFAULT_GPT's), so a study config or `--network` names a
 * GPT of any size. Each size a positive integer, the heads dividing the width; anything else is
 * refused in one line naming `option`.
 *
 * @example
 * ```ts
 * import { gpt, gptSizes, Network } from 'gradscope';
 * const sizes = gptSizes('GPT:vocabulary=63,layers=2,width=64');
 * console.log(sizes.context, sizes.heads); // 64 4 (DEFAULT_GPT's)
 * console.log(new Network(gpt(sizes), { seed: 0 }).parameterCount);
 * ```
 */
export function gptSizes(name: string, option = '--network'): GptConfig {
  const match = /^gpt(?::(.*))?$/is.exec(name);
  if (!match) throw expected('GPT or GPT:SIZE=N,... (a GPT of given sizes)', option, name);
  const sizes: GptConfig = { ...DEFAULT_GPT };
  const what = `GPT:SIZE=N,... with SIZE one of ${GPT_SIZES.join(', ')} and N a positive integer`;
  for (const part of match[1] === undefined ? [] : match[1].split(',')) {
    const [key, value, ...rest] = part.split('=').map((x) => x.trim());
    const size = GPT_SIZES.find((s) => s === key);
    if (!size || rest.length > 0 || value === undefined || !/^[1-9]\d*$/.test(value))
      throw expected(what, option, name);
    sizes[size] = Number(value);
  }
  if (sizes.width % sizes.heads !== 0)
    throw expected(
      `heads that divide the width (${sizes.heads} heads, width ${sizes.width})`,
      option,
      name,
    );
  return sizes;
}
