/**
 * What a network asks of `loadData`: a language model (its layer list starts with an
 * `embedding`) reads token data in windows of its own context T (its input is [1, 1, T]), so
 * `--data kjv` with `--network GPT` needs no other option; an image network asks nothing.
 */
import { resolveNetwork, type NetworkSpec } from './layers';

/** `{ context, modelContext }` of a language model's spec (a TorchScript module's from
 * `MODULE.pt:context=N`, src/models/index.ts); `{}` for any other network. */
export function tokenWindowsFor(spec: NetworkSpec): { context?: number; modelContext?: number } {
  if (spec.torchscript ? !(spec.input[2] > 0) : !resolveNetwork(spec).language) return {};
  const context = spec.input[2];
  return { context, modelContext: context };
}
