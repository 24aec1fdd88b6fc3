/**
 * From a stream of token ids to the examples of a language model: a split is cut into
 * non-overlapping windows of T + 1 tokens at stride T (T = the context), so an example is one
 * fixed window, inputs x = w[0..T-1] and next-token targets y = w[1..T], and every
 * experiment's sampling law (uniform without replacement over examples) stays as it is for
 * images. With stride T consecutive windows share their boundary token: window i is
 * tokens[iT .. iT + T], window i + 1 starts at tokens[(i + 1)T], the last token of window i.
 * A split of n tokens gives floor((n - 1) / T) windows; the tail after the last one is left out.
 *
 * One text file or one token file is split as nanoGPT splits it: the first 90% of its tokens
 * train, the last 10% validate (data[:int(n*0.9)], data[int(n*0.9):]).
 */
import {
  expected,
  GradscopeFileError,
  GradscopeInputError,
  isPositiveInteger,
} from '../core/errors';
import { checkUnpackedSize } from '../core/size-caps';
import type { TokenSet } from './source';

/** nanoGPT's split of one text: the first 90% train, the rest validation. */
export const TRAIN_FRACTION = 0.9;

/** The training and validation tokens of one stream, split at floor(0.9 n). */
export function splitTokens(tokens: Int32Array): { train: Int32Array; validation: Int32Array } {
  const cut = Math.floor(tokens.length * TRAIN_FRACTION);
  return { train: tokens.subarray(0, cut), validation: tokens.subarray(cut) };
}

/**
 * Checks the context asked for (LoadOptions' `context`, which the commands take from the
 * language model: src/engine/data-options.ts): a positive integer, and no longer than the
 * model's context when the caller knows it (`modelContext`). None at all means the network is
 * no language model that states its context (an image network, or a TorchScript module not
 * named MODULE.pt:context=N).
 */
export function checkContext(context: number | undefined, modelContext?: number): number {
  if (context === undefined)
    throw new GradscopeInputError(
      "--network: token data is cut into windows of a language model's context, and this network states none (an image network, or a TorchScript module): use --network GPT, GPT:context=N,..., a layer list that starts with an embedding, or MODULE.pt:context=N for a TorchScript language model",
    );
  if (!isPositiveInteger(context))
    throw expected('a positive integer (tokens per window)', 'context', context);
  if (modelContext !== undefined && context > modelContext)
    throw expected(
      `a context of at most ${modelContext} (the model's context)`,
      'context',
      context,
    );
  return context;
}

/**
 * The windows of one split. `file` and `split` name it in the one-line refusal of a split
 * shorter than one window ("the validation split (the last 10%)").
 */
export function cutWindows(
  tokens: ArrayLike<number>,
  context: number,
  file: string,
  split: string,
): TokenSet {
  const count = tokens.length > 0 ? Math.floor((tokens.length - 1) / context) : 0;
  if (count < 1)
    throw new GradscopeFileError(
      file,
      `${split} holds ${tokens.length} tokens, fewer than one window of context + 1 = ${context + 1}`,
    );
  const width = context + 1;
  checkUnpackedSize(
    file,
    `${split}'s ${count} windows of ${width} int32 token ids`,
    count * width * 4,
  );
  const windows = new Int32Array(count * width);
  for (let i = 0; i < count; i++)
    for (let j = 0; j < width; j++) windows[i * width + j] = tokens[i * context + j]!;
  return { windows, count, context };
}

/**
 * Every id must lie in [0, vocabulary); names the first that does not, where it is, and where
 * the vocabulary size was stated.
 */
export function checkTokenIds(
  ids: ArrayLike<number>,
  vocabulary: number,
  file: string,
  statedIn: string,
): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0 || id >= vocabulary)
      throw new GradscopeFileError(
        file,
        `token id ${id} at position ${i} is outside the vocabulary [0, ${vocabulary}) (its size stated ${statedIn})`,
      );
  }
}
