/**
 * The bench's advice to tune (src/bench/tune-advice.ts): rows run under the built-in rules more
 * than 5% behind PyTorch's best are named with their ratio and PyTorch's setting; a tuned row,
 * a row within the spread, and a row without PyTorch are not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { tuneAdvice, type AdvisedRow } from '../../src/bench/tune-advice';

function row(id: string, ms: number, best: number | null, source: 'rules' | 'tuned'): AdvisedRow {
  return {
    id,
    gradscopeMs: ms,
    gradscopeThreads: { torch: 2, blas: 2, linear: 'onednn', source },
    pytorchBestMs: best,
    pytorchBestSetting: best === null ? null : '1 thread, channels-last, memory kept',
  };
}

test('the bench advises --tune for the rows behind PyTorch under the built-in rules, and only those', () => {
  const advice = tuneAdvice([
    row('F1 step B=256', 16.6, 24.1, 'rules'),
    row('F1 Hessian-vector product N=5000', 1073.6, 755.4, 'rules'),
    row('C1 step B=5000', 4769.5, 4718.1, 'rules'), // 1.01: within the spread
    row('F1 population gradient N=5000', 300, 250, 'tuned'), // tuned already
    row('GPT step B=64', 500, null, 'rules'), // no PyTorch
  ]);
  assert.equal(
    advice,
    "gradscope ran behind PyTorch's best setting under the built-in thread rules on " +
      "F1 Hessian-vector product N=5000 (1.42x, PyTorch's best: 1 thread, channels-last, memory kept): " +
      '`gradscope bench --tune` measures the fastest settings of this machine (about 10 minutes on 2 cores) ' +
      'and every later command uses them',
  );
  assert.equal(tuneAdvice([row('C1 step B=5000', 4769.5, 4718.1, 'rules')]), null);
  assert.equal(tuneAdvice([row('at 1.05 exactly', 105, 100, 'rules')]), null);
  assert.match(tuneAdvice([row('just past', 105.1, 100, 'rules')]) ?? '', /just past \(1\.05x/);
  assert.equal(tuneAdvice([]), null);
});
