/**
 * The layer-list language of networks, and its resolution: every layer is checked
 * (errors name the layer index and field) and its input size is filled in by
 * walking the shape from the input to the output, so the native side receives a
 * list it can build without inference.
 *
 * A list maps one to one onto PyTorch's nn.Sequential: layer i's parameters are
 * `i.weight`, `i.bias`, its batch-norm buffers `i.running_mean`, `i.running_var`,
 * `i.num_batches_tracked`. A residual block i is a module with two Sequentials, `branch`
 * and `shortcut` (absent with shortcut "none"): its layers are named `i.branch.j.weight`,
 * `i.shortcut.j.weight`, ...; its output is activation(branch(x) + shortcut(x)). This is
 * the module `gradscope export NET --pytorch` prints.
 *
 * A language model (nanoGPT's architecture, src/models/gpt.ts) is a list that starts with an
 * `embedding` (token and position embeddings: `i.wte.weight`, `i.wpe.weight`) and takes token
 * windows: its `input` is [1, 1, context], one row of at most `context` token ids, and its
 * output [T, classes], next-token scores at every position. Then `block`s (pre-LayerNorm
 * causal self-attention and MLP, named as nanoGPT's Block: `i.ln_1.weight`,
 * `i.attn.c_attn.weight`, ..., `i.mlp.c_proj.bias`), a `layernorm` over the last dimension and
 * the `head`, whose weight is the token embedding's (tied, as nanoGPT's lm_head: no parameter
 * of its own). A nanoGPT state_dict maps by renaming: `transformer.wte` -> `0.wte`,
 * `transformer.wpe` -> `0.wpe`, `transformer.h.k.` -> `(k + 1).`, `transformer.ln_f.` ->
 * `(layers + 1).`, its `lm_head.weight` dropped (the same tensor as `transformer.wte.weight`) and
 * its attention's `bias` buffers (the causal mask) dropped.
 */
import {
  expected,
  GradscopeInputError,
  isNonNegativeInteger,
  isPositiveInteger,
} from '../core/errors';
import type { NativeLayer } from './native';

export type LayerSpec =
  | { type: 'linear'; out: number; bias?: boolean }
  | {
      type: 'conv2d';
      out: number;
      kernel: number;
      stride?: number;
      padding?: number | 'same';
      bias?: boolean;
    }
  | { type: 'batchnorm1d' | 'batchnorm2d'; eps?: number; momentum?: number }
  | { type: 'relu' }
  | { type: 'maxpool2d'; kernel: number; stride?: number; padding?: number }
  | { type: 'dropout'; p?: number }
  | { type: 'flatten' }
  | { type: 'globalavgpool' }
  /** Token and position embeddings of `width` features; the first layer of a language model. */
  | { type: 'embedding'; vocabulary: number; width: number }
  /** nanoGPT's transformer Block: x + attn(ln_1(x)), then + mlp(ln_2(.)); causal, dropout 0. */
  | { type: 'block'; heads: number; bias?: boolean }
  /** Layer norm over the last dimension (nanoGPT's LayerNorm; eps 1e-5). */
  | { type: 'layernorm'; bias?: boolean; eps?: number }
  /** The output head: next-token scores, weight tied to the token embedding's. */
  | { type: 'head' }
  | {
      type: 'residual';
      /** The residual branch F, on the block's input. */
      branch: LayerSpec[];
      /** The skip path: [] (default) the identity, a list (e.g. a 1x1 conv and batch norm)
       * a projection, "none" no skip at all (a plain block, as in Li et al.'s noshort nets). */
      shortcut?: LayerSpec[] | 'none';
      /** After the sum: "relu" (default) or "none". */
      activation?: 'relu' | 'none';
    };

/**
 * A network as a layer list (the JSON a `--network FILE.json` holds) or a TorchScript module;
 * the list maps one to one onto PyTorch's nn.Sequential, so state_dict names agree.
 *
 * @example
 * ```ts
 * import { Network, type NetworkSpec } from 'gradscope';
 * const logistic: NetworkSpec = {
 *   name: 'logistic regression',
 *   input: [1, 28, 28],
 *   classes: 10,
 *   layers: [{ type: 'flatten' }, { type: 'linear', out: 10 }],
 * };
 * const network = new Network(logistic, { seed: 0 });
 * console.log(network.parameterCount); // 7850
 * ```
 */
export interface NetworkSpec {
  /** A name for reports, e.g. "F1". */
  name: string;
  /** One example's shape: [channels, height, width]; a language model's [1, 1, context]. */
  input: [number, number, number];
  /** Classes; a language model's vocabulary size. */
  classes: number;
  layers: LayerSpec[];
  /** A TorchScript module's file, instead of a layer list (src/engine/torchscript.ts). */
  torchscript?: string;
}

/** A layer with every size known, as the native engine builds it. */
export interface ResolvedLayer extends NativeLayer {
  type: LayerSpec['type'];
  /** Output shape of this layer for one example. */
  shape: number[];
  branch?: ResolvedLayer[];
  /** null: no skip; []: the identity. */
  shortcut?: ResolvedLayer[] | null;
  activation?: boolean;
}

export interface ResolvedNetwork {
  spec: NetworkSpec;
  layers: ResolvedLayer[];
  parameterCount: number;
  /** Names and shapes of the batch-norm buffers, in state_dict order. */
  statistics: { layer: number; name: string; features: number }[];
  /** Whether any layer is a residual block (then the list is a tree). */
  nested: boolean;
  /** Whether it is a language model (it starts with an embedding and takes token windows). */
  language: boolean;
}

const LAYER_TYPES = [
  'linear',
  'conv2d',
  'batchnorm1d',
  'batchnorm2d',
  'relu',
  'maxpool2d',
  'dropout',
  'flatten',
  'globalavgpool',
  'residual',
  'embedding',
  'block',
  'layernorm',
  'head',
];

const FIELDS: Record<string, string[]> = {
  linear: ['out', 'bias'],
  conv2d: ['out', 'kernel', 'stride', 'padding', 'bias'],
  batchnorm1d: ['eps', 'momentum'],
  batchnorm2d: ['eps', 'momentum'],
  relu: [],
  maxpool2d: ['kernel', 'stride', 'padding'],
  dropout: ['p'],
  flatten: [],
  globalavgpool: [],
  residual: ['branch', 'shortcut', 'activation'],
  embedding: ['vocabulary', 'width'],
  block: ['heads', 'bias'],
  layernorm: ['bias', 'eps'],
  head: [],
};

function spatial(size: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((size + 2 * padding - kernel) / stride) + 1;
}

export function resolveNetwork(spec: NetworkSpec): ResolvedNetwork {
  if (typeof spec !== 'object' || spec === null) throw expected('an object', 'network', spec);
  const { input, classes, layers } = spec;
  if (!Array.isArray(input) || input.length !== 3 || !input.every(isPositiveInteger))
    throw expected('[channels, height, width] of positive integers', 'network.input', input);
  if (!isPositiveInteger(classes) || classes < 2)
    throw expected('an integer of at least 2', 'network.classes', classes);
  if (!Array.isArray(layers) || layers.length === 0)
    throw expected('a non-empty list of layers', 'network.layers', layers);

  const context: Context = { parameterCount: 0, statistics: [], nested: false };
  const { resolved, shape } = resolveList(layers, [...input], 'layers', '', -1, context);

  const language = resolved[0]!.type === 'embedding';
  if (language && (shape.length !== 2 || shape[1] !== classes))
    throw new GradscopeInputError(
      `network: the last layer gives [${shape.join(', ')}] but a language model must end in ${classes} next-token scores per position (a head)`,
    );
  if (!language && (shape.length !== 1 || shape[0] !== classes))
    throw new GradscopeInputError(
      `network: the last layer gives [${shape.join(', ')}] but the network must end in ${classes} class scores`,
    );
  return {
    spec,
    layers: resolved,
    parameterCount: context.parameterCount,
    statistics: context.statistics,
    nested: context.nested,
    language,
  };
}

interface Context {
  parameterCount: number;
  statistics: { layer: number; name: string; features: number }[];
  nested: boolean;
  /** The token embedding's vocabulary and width, once a list has one. */
  embedding?: { vocabulary: number; width: number };
}

/** Resolves a list of layers from `input`; `at` names it in errors, `prefix` in state_dict
 * names ("3.branch." inside block 3), `top` is the top-level layer holding it (-1: top). */
function resolveList(
  layers: LayerSpec[],
  input: number[],
  where: string,
  prefix: string,
  top: number,
  context: Context,
): { resolved: ResolvedLayer[]; shape: number[] } {
  if (!Array.isArray(layers) || layers.length === 0)
    throw expected('a non-empty list of layers', where, layers);
  let shape = input;
  const resolved: ResolvedLayer[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const at = `${where}[${i}]`;
    if (typeof layer !== 'object' || layer === null) throw expected('a layer object', at, layer);
    const type = (layer as { type?: unknown }).type;
    if (typeof type !== 'string' || !LAYER_TYPES.includes(type))
      throw expected(`one of ${LAYER_TYPES.join(', ')}`, `${at}.type`, type);
    for (const key of Object.keys(layer)) {
      if (key !== 'type' && !FIELDS[type]!.includes(key))
        throw new GradscopeInputError(
          `${at}.${key}: ${type} layers have no field "${key}" (fields: ${FIELDS[type]!.join(', ') || 'none'})`,
        );
    }
    const field = (name: string): unknown => (layer as unknown as Record<string, unknown>)[name];
    const needImage = (): [number, number, number] => {
      if (shape.length !== 3)
        throw new GradscopeInputError(
          `${at}: ${type} needs a [channels, height, width] input but the previous layer gives [${shape.join(', ')}]`,
        );
      return shape as [number, number, number];
    };
    // a language model's activations: [positions, features]
    const needSequence = (): [number, number] => {
      if (shape.length !== 2)
        throw new GradscopeInputError(
          `${at}: ${type} needs a [positions, features] input (after an embedding) but receives [${shape.join(', ')}]`,
        );
      return shape as [number, number];
    };
    const needVector = (): number => {
      if (shape.length !== 1)
        throw new GradscopeInputError(
          `${at}: ${type} needs a flat input but receives [${shape.join(', ')}]; add a flatten layer before it`,
        );
      return shape[0]!;
    };
    const positive = (name: string, fallback?: number): number => {
      const v = field(name) ?? fallback;
      if (!isPositiveInteger(v)) throw expected('a positive integer', `${at}.${name}`, v);
      return v;
    };
    const flag = (name: string): boolean => {
      const v = field(name) ?? true;
      if (typeof v !== 'boolean') throw expected('true or false', `${at}.${name}`, v);
      return v;
    };
    const real = (name: string, fallback: number, low: number, high: number): number => {
      const v = field(name) ?? fallback;
      if (typeof v !== 'number' || !Number.isFinite(v) || v < low || v > high)
        throw expected(`a number in [${low}, ${high}]`, `${at}.${name}`, v);
      return v;
    };

    switch (type) {
      case 'linear': {
        const inFeatures = needVector();
        const out = positive('out');
        const bias = flag('bias');
        context.parameterCount += out * inFeatures + (bias ? out : 0);
        shape = [out];
        resolved.push({ type, in: inFeatures, out, bias, shape });
        break;
      }
      case 'conv2d': {
        const [channels, h, w] = needImage();
        const out = positive('out');
        const kernel = positive('kernel');
        const stride = positive('stride', 1);
        const rawPadding = field('padding') ?? 0;
        let padding: number;
        if (rawPadding === 'same') {
          if (stride !== 1 || kernel % 2 === 0)
            throw expected(
              'a number (padding "same" needs stride 1 and an odd kernel)',
              `${at}.padding`,
              rawPadding,
            );
          padding = (kernel - 1) / 2;
        } else if (isNonNegativeInteger(rawPadding)) {
          padding = rawPadding;
        } else {
          throw expected('a non-negative integer or "same"', `${at}.padding`, rawPadding);
        }
        const bias = flag('bias');
        const oh = spatial(h, kernel, stride, padding);
        const ow = spatial(w, kernel, stride, padding);
        if (oh < 1 || ow < 1)
          throw new GradscopeInputError(
            `${at}: a ${kernel}x${kernel} kernel does not fit the ${h}x${w} input`,
          );
        context.parameterCount += out * channels * kernel * kernel + (bias ? out : 0);
        shape = [out, oh, ow];
        resolved.push({ type, in: channels, out, kernel, stride, padding, bias, shape });
        break;
      }
      case 'batchnorm1d':
      case 'batchnorm2d': {
        const features = type === 'batchnorm1d' ? needVector() : needImage()[0];
        const eps = real('eps', 1e-5, 1e-12, 1);
        const momentum = real('momentum', 0.1, 0, 1);
        context.parameterCount += 2 * features;
        context.statistics.push({ layer: top === -1 ? i : top, name: `${prefix}${i}`, features });
        resolved.push({ type, out: features, eps, momentum, shape: [...shape] });
        break;
      }
      case 'relu':
        resolved.push({ type, shape: [...shape] });
        break;
      case 'dropout': {
        const p = real('p', 0.5, 0, 0.999);
        resolved.push({ type, p, shape: [...shape] });
        break;
      }
      case 'maxpool2d': {
        const [channels, h, w] = needImage();
        const kernel = positive('kernel');
        const stride = positive('stride', kernel);
        const padding = field('padding') ?? 0;
        if (!isNonNegativeInteger(padding) || padding > kernel / 2)
          throw expected(
            'a non-negative integer at most half the kernel',
            `${at}.padding`,
            padding,
          );
        const oh = spatial(h, kernel, stride, padding);
        const ow = spatial(w, kernel, stride, padding);
        if (oh < 1 || ow < 1)
          throw new GradscopeInputError(`${at}: a ${kernel}x${kernel} pool does not fit ${h}x${w}`);
        shape = [channels, oh, ow];
        resolved.push({ type, kernel, stride, padding, shape });
        break;
      }
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        resolved.push({ type, shape });
        break;
      case 'globalavgpool': {
        const [channels] = needImage();
        shape = [channels];
        resolved.push({ type, shape });
        break;
      }
      case 'embedding': {
        if (where !== 'layers' || i !== 0)
          throw new GradscopeInputError(
            `${at}: an embedding takes token ids, so it must be the first layer (layers[0])`,
          );
        if (shape.length !== 3 || shape[0] !== 1 || shape[1] !== 1)
          throw new GradscopeInputError(
            `${at}: an embedding needs the input [1, 1, context] (a row of token ids) but the network's input is [${shape.join(', ')}]`,
          );
        const positions = shape[2]!;
        const vocabulary = positive('vocabulary');
        const width = positive('width');
        context.parameterCount += (vocabulary + positions) * width;
        context.embedding = { vocabulary, width };
        shape = [positions, width];
        resolved.push({ type, in: vocabulary, out: width, context: positions, shape });
        break;
      }
      case 'block': {
        const [positions, width] = needSequence();
        const heads = positive('heads');
        if (width % heads !== 0)
          throw new GradscopeInputError(
            `${at}: ${heads} heads do not divide the width of ${width} features`,
          );
        const bias = flag('bias');
        // ln_1, ln_2 (2C each with bias); c_attn 3C x C; c_proj C x C; c_fc 4C x C; c_proj C x 4C
        context.parameterCount += 12 * width * width + (bias ? 13 * width : 2 * width);
        shape = [positions, width];
        resolved.push({ type, out: width, heads, bias, eps: 1e-5, shape });
        break;
      }
      case 'layernorm': {
        const features = shape[shape.length - 1]!;
        const bias = flag('bias');
        const eps = real('eps', 1e-5, 1e-12, 1);
        context.parameterCount += (bias ? 2 : 1) * features;
        resolved.push({ type, out: features, bias, eps, shape: [...shape] });
        break;
      }
      case 'head': {
        const [positions, width] = needSequence();
        const embedding = context.embedding;
        if (!embedding)
          throw new GradscopeInputError(
            `${at}: a head's weight is the token embedding's, so an embedding must come before it`,
          );
        if (embedding.width !== width)
          throw new GradscopeInputError(
            `${at}: the head receives ${width} features but the token embedding is ${embedding.width} wide`,
          );
        if (where !== 'layers' || i !== layers.length - 1)
          throw new GradscopeInputError(
            `${at}: a head ends a language model: it must be the last layer`,
          );
        shape = [positions, embedding.vocabulary];
        resolved.push({ type, in: width, out: embedding.vocabulary, shape });
        break;
      }
      case 'residual': {
        const image = needImage();
        context.nested = true;
        const branchSpec = field('branch');
        if (!Array.isArray(branchSpec) || branchSpec.length === 0)
          throw expected('a non-empty list of layers', `${at}.branch`, branchSpec);
        const shortcutSpec = field('shortcut') ?? [];
        if (shortcutSpec !== 'none' && !Array.isArray(shortcutSpec))
          throw expected(
            'a list of layers ([] for the identity) or "none"',
            `${at}.shortcut`,
            shortcutSpec,
          );
        const activation = field('activation') ?? 'relu';
        if (activation !== 'relu' && activation !== 'none')
          throw expected('"relu" or "none"', `${at}.activation`, activation);
        const blockTop = top === -1 ? i : top;
        const branch = resolveList(
          branchSpec as LayerSpec[],
          [...image],
          `${at}.branch`,
          `${prefix}${i}.branch.`,
          blockTop,
          context,
        );
        let shortcut: ResolvedLayer[] | null = null;
        if (shortcutSpec !== 'none') {
          const skip =
            (shortcutSpec as LayerSpec[]).length === 0
              ? { resolved: [], shape: [...image] }
              : resolveList(
                  shortcutSpec as LayerSpec[],
                  [...image],
                  `${at}.shortcut`,
                  `${prefix}${i}.shortcut.`,
                  blockTop,
                  context,
                );
          if (skip.shape.join(',') !== branch.shape.join(','))
            throw new GradscopeInputError(
              `${at}: the branch gives [${branch.shape.join(', ')}] but the shortcut gives [${skip.shape.join(', ')}]; a projection (1x1 conv) makes them agree`,
            );
          shortcut = skip.resolved;
        }
        shape = [...branch.shape];
        resolved.push({
          type,
          shape,
          branch: branch.resolved,
          shortcut,
          activation: activation === 'relu',
        });
        break;
      }
    }
  }
  return { resolved, shape };
}
