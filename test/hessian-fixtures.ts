/** A float64 network small enough to form its Hessian densely, and that dense Hessian. */
import { hessianOperator, type HessianOperator } from '../src/analysis/hessian';
import { Network } from '../src/engine/network';
import { random, randomDataset, range, scrambleStatistics } from './helpers';

export function smallNetwork(): { network: Network; apply: HessianOperator; n: number } {
  const set = randomDataset(200, [1, 2, 3], 3, 11);
  const network = new Network(
    {
      name: 'small',
      input: [1, 2, 3],
      classes: 3,
      layers: [
        { type: 'flatten' },
        { type: 'linear', out: 5, bias: false },
        { type: 'batchnorm1d' },
        { type: 'relu' },
        { type: 'linear', out: 3 },
      ],
    },
    { dtype: 'float64', seed: 3 },
  );
  scrambleStatistics(network.statistics, network.statisticsTable);
  const r = random(5);
  for (let i = 0; i < network.parameterCount; i++) network.parameters[i] = 2 * (r() - 0.5);
  const apply = hessianOperator(network, set, range(200), { mode: 'population' });
  return { network, apply, n: network.parameterCount };
}

/** H column by column from H e_i, symmetrised. */
export function denseHessian(apply: HessianOperator, n: number): Float64Array {
  const h = new Float64Array(n * n);
  const e = new Float64Array(n);
  const column = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    e.fill(0);
    e[i] = 1;
    apply(e, column);
    for (let j = 0; j < n; j++) h[j * n + i] = column[j]!;
  }
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) h[i * n + j] = h[j * n + i] = (h[i * n + j]! + h[j * n + i]!) / 2;
  return h;
}
