/**
 * The arithmetic of a bench workload, counted from the network's layer shapes: the
 * multiply-adds of its Linear layers and convolutions (2 FLOP each), per example.
 *
 * - A Linear layer's forward is 2 in out; a convolution's 2 Hout Wout Cout Cin kh kw.
 * - Backward: the weight gradient costs as much as the forward, and so does the data gradient,
 *   except at the weighted layer that reads the network's input (whose gradient nobody needs):
 *   backward = 2 forward - that layer's forward.
 * - Batch norm, ReLU, pooling, dropout, the loss, the biases and the optimiser's update are
 *   elementwise (a few FLOP per value, not per multiply-add) and not counted.
 * - A language model (src/models/gpt.ts) is counted per window of T tokens (an example), width
 *   C, vocabulary V: a transformer block's four Linear layers are 2 C (3C + C + 4C + 4C) = 24 C^2
 *   per token, its attention's two products (scores q k^T and their weighted sum of v, every
 *   head together) 2 T C each per token, the whole T x T square as both sides compute it (the
 *   causal mask is applied after the product): T (24 C^2 + 4 T C) a block; the head 2 T C V.
 *   The embeddings, layer norms, softmax and GELU are lookups and elementwise: not counted. No
 *   weighted layer reads the token ids, so backward = 2 forward. Per token a training step is
 *   then 6 (12 L C^2 + C V) + 12 L T C: nanoGPT's own count (estimate_mfu, after PaLM's
 *   appendix B), 6 N + 12 L T C, with N its matrix parameters.
 *
 * What each workload kind counts, per example (f forward, b backward):
 * - a training step and a population gradient: f + b;
 * - a Hessian-vector product: 2 (f + b) (forward, backward, then the forward-over-backward
 *   pass, which costs another forward and backward: the least any method needs);
 * - an Experiment B point: (f + b) for each training and test example of g_train and g_test,
 *   then for each draw's B_max examples either f + b (recomputed) or, with layer signals
 *   (src/engine/layer-signals.ts), the weight-gradient products alone: f.
 * The GFLOP of a workload is the arithmetic its side performs, so a rate in GFLOP/s compares
 * with the machine's matrix-multiply peak (src/bench/peak.ts).
 */
import { resolveNetwork, type NetworkSpec, type ResolvedLayer } from '../engine/layers';
import type { BenchWorkload } from './pytorch';

/** A weighted layer's forward FLOP per example: Linear 2 in out, convolution
 * 2 Hout Wout Cout Cin kh kw, a transformer block T (24 C^2 + 4 T C), a language model's head
 * 2 T C V; 0 for every other kind (lookups and elementwise, not counted). */
export function layerForwardFlops(layer: ResolvedLayer): number {
  if (layer.type === 'linear') return 2 * layer.in! * layer.out!;
  if (layer.type === 'conv2d') {
    const [cout, hout, wout] = layer.shape as [number, number, number];
    return 2 * hout * wout * cout * layer.in! * layer.kernel! * layer.kernel!;
  }
  if (layer.type === 'block') {
    const [positions, width] = layer.shape as [number, number];
    return positions * (24 * width * width + 4 * positions * width);
  }
  if (layer.type === 'head') {
    const [positions, vocabulary] = layer.shape as [number, number];
    return 2 * positions * layer.in! * vocabulary;
  }
  if (layer.type === 'residual')
    return [...(layer.branch ?? []), ...(layer.shortcut ?? [])].reduce(
      (s, l) => s + layerForwardFlops(l),
      0,
    );
  return 0;
}

/** Per example: the forward pass's FLOP (f) and the backward pass's (b). */
export interface ExampleFlops {
  forward: number;
  backward: number;
}

/**
 * The forward and backward FLOP of one example through `spec`.
 */
export function exampleFlops(spec: NetworkSpec): ExampleFlops {
  const layers = resolveNetwork(spec).layers;
  const forward = layers.reduce((s, l) => s + layerForwardFlops(l), 0);
  // the first weighted layer reads the input: its data gradient is not computed
  const first = layers.find((l) => l.type === 'linear' || l.type === 'conv2d');
  const firstIsInput =
    first !== undefined &&
    layers.slice(0, layers.indexOf(first)).every((l) => layerForwardFlops(l) === 0);
  return { forward, backward: 2 * forward - (firstIsInput ? layerForwardFlops(first) : 0) };
}

/**
 * GFLOP of one run of `w`; `signals`: whether an Experiment B point's draws were built from
 * layer signals (only the weight-gradient products) instead of forward and backward passes.
 */
export function workloadGflop(w: BenchWorkload, signals: boolean): number {
  const { forward: f, backward: b } = exampleFlops(w.network);
  const pass = f + b;
  let flop: number;
  switch (w.kind) {
    case 'step':
    case 'population-gradient':
      flop = w.batch * pass;
      break;
    case 'hessian-vector':
      flop = w.batch * 2 * pass;
      break;
    case 'experiment-b':
      flop = (w.draws ?? 1) * w.batch * pass;
      break;
    case 'experiment-b-point': {
      const point = w.point!;
      const largest = Math.max(...point.batchSizes);
      flop = (point.train + point.test) * pass + (w.draws ?? 1) * largest * (signals ? f : pass);
      break;
    }
  }
  return flop / 1e9;
}
