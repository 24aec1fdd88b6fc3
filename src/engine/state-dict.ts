/**
 * A network's tensors by their PyTorch state_dict names ("1.weight", "2.running_mean",
 * "2.num_batches_tracked" as int64), in the order of the equivalent nn.Sequential: what a
 * checkpoint holds, and how a file's tensors are checked against a network and copied in.
 */
import type { Network } from './network';
import type { NamedTensor } from './safetensors';

/**
 * The network's tensors in state_dict order: each layer's parameters, then its buffers
 * (a batch norm's running_mean, running_var, num_batches_tracked follow its bias).
 *
 * @example
 * ```ts
 * import { Network, networkSpec, stateDict } from 'gradscope';
 * const network = new Network(networkSpec('C1'), { seed: 0 });
 * for (const tensor of stateDict(network)) console.log(tensor.name, tensor.shape.join('x'));
 * ```
 */
export function stateDict(network: Network): NamedTensor[] {
  const out: NamedTensor[] = [];
  const stats = new Map(network.statisticsTable.map((s, i) => [s.name, { ...s, index: i }]));
  for (const p of network.parameterTable) {
    out.push({
      name: p.name,
      shape: p.shape,
      data: network.readParameters(p.offset, p.size),
    });
    if (!p.name.endsWith('.bias')) continue;
    const prefix = p.name.slice(0, -'.bias'.length);
    const s = stats.get(prefix);
    if (!s) continue;
    const f = s.features;
    out.push(
      {
        name: `${prefix}.running_mean`,
        shape: [f],
        data: network.readStatistics(s.meanOffset, f),
      },
      {
        name: `${prefix}.running_var`,
        shape: [f],
        data: network.readStatistics(s.varOffset, f),
      },
      {
        name: `${prefix}.num_batches_tracked`,
        shape: [],
        data: network.readBatchCounts(s.index, 1),
      },
    );
  }
  return out;
}

const FLOAT_TYPES = new Set<unknown>([Float32Array, Float64Array]);

/**
 * How a file's tensors differ from the network's state_dict, in at most a few lines (missing,
 * unexpected and wrong-shaped names, each list cut after a few); undefined when they agree.
 * `anyFloat`: float32 and float64 both fit a float tensor.
 */
export function stateDictMismatch(
  got: Map<string, NamedTensor>,
  want: NamedTensor[],
  anyFloat: boolean,
): string | undefined {
  const wanted = new Map(want.map((t) => [t.name, t]));
  const missing = want.filter((t) => !got.has(t.name)).map((t) => t.name);
  const unexpected = [...got.keys()].filter((name) => !wanted.has(name));
  const wrong: string[] = [];
  for (const w of want) {
    const g = got.get(w.name);
    if (!g) continue;
    const typeFits =
      g.data.constructor === w.data.constructor ||
      (anyFloat && FLOAT_TYPES.has(g.data.constructor) && FLOAT_TYPES.has(w.data.constructor));
    if (g.shape.join(',') !== w.shape.join(',') || !typeFits)
      wrong.push(
        `${w.name} is ${typeName(g.data)} [${g.shape.join(', ')}], needs ${typeName(w.data)} [${w.shape.join(', ')}]`,
      );
  }
  const list = (what: string, names: string[], most = 3) => {
    if (!names.length) return [];
    const shown = names.slice(0, most).join(', ');
    return [`${what} ${shown}${names.length > most ? ` and ${names.length - most} more` : ''}`];
  };
  const parts = [
    ...list('missing', missing),
    ...list('unexpected', unexpected),
    ...list('wrong shape:', wrong, 2),
  ];
  return parts.length ? parts.join('; ') : undefined;
}

function typeName(data: NamedTensor['data']): string {
  const names: Record<string, string> = {
    Float32Array: 'float32',
    Float64Array: 'float64',
    BigInt64Array: 'int64',
    Int32Array: 'int32',
    Uint8Array: 'uint8',
  };
  return names[data.constructor.name] ?? data.constructor.name;
}

/** Copies tensors already checked against the network (stateDictMismatch) into it, by name. */
export function placeStateDict(network: Network, tensors: Map<string, NamedTensor>): void {
  for (const [name, got] of tensors) place(network, name, got.data);
}

function place(network: Network, name: string, data: NamedTensor['data']): void {
  const p = network.parameterTable.find((e) => e.name === name);
  if (p) {
    network.writeParameters(data as ArrayLike<number>, p.offset);
    return;
  }
  const cut = name.lastIndexOf('.');
  const prefix = name.slice(0, cut);
  const field = name.slice(cut + 1);
  const index = network.statisticsTable.findIndex((s) => s.name === prefix);
  const s = network.statisticsTable[index]!;
  if (field === 'running_mean') network.writeStatistics(data as ArrayLike<number>, s.meanOffset);
  else if (field === 'running_var') network.writeStatistics(data as ArrayLike<number>, s.varOffset);
  else network.writeBatchCounts(data as BigInt64Array, index);
}
