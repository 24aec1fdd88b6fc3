/**
 * What the bench tells the user when gradscope ran behind PyTorch under the built-in thread
 * rules: the rules (src/engine/threads.ts) were measured on the machines gradscope has been
 * developed on, and another CPU's BLAS can change which kernels win. On a 2-core AMD EPYC
 * whose OpenBLAS runs its AVX-512 (Cooperlake) kernels, F1's Hessian-vector product took
 * 1074 ms under the rules (oneDNN, torch 2 / BLAS 2; before its weight products went to
 * oneDNN's weight-gradient kernel, 786-820 ms after) against PyTorch's best 755 ms (OpenBLAS,
 * 1 torch thread), and 684 against 694 ms once `gradscope bench --tune` had chosen OpenBLAS
 * with 1 torch thread there; on the 2-core Xeon, whose OpenBLAS falls back to generic
 * kernels, oneDNN is 3 to 4 times faster. So the bench names such rows and the command that
 * measures this machine's own choice; it changes nothing itself.
 */
import type { ThreadSettings } from '../engine/threads';

/** What the advice reads of a bench row (BenchRow in ./run). */
export interface AdvisedRow {
  id: string;
  gradscopeMs: number;
  gradscopeThreads: ThreadSettings | null;
  pytorchBestMs: number | null;
  pytorchBestSetting: string | null;
}

/** Rows at most this much behind PyTorch's best are within the bench's run-to-run spread
 * (C1 step B=5000 read 0.96 and 1.01 in two whole benches on one machine). */
export const SPREAD = 1.05;

/**
 * The advice line, or null: the rows run under the built-in rules (not a tuning file) that
 * took more than SPREAD times PyTorch's best setting, each with its ratio and that setting.
 */
export function tuneAdvice(rows: readonly AdvisedRow[]): string | null {
  const behind = rows.filter(
    (r) =>
      r.gradscopeThreads?.source === 'rules' &&
      r.pytorchBestMs !== null &&
      r.gradscopeMs > SPREAD * r.pytorchBestMs,
  );
  if (behind.length === 0) return null;
  const named = behind.map(
    (r) =>
      `${r.id} (${(r.gradscopeMs / r.pytorchBestMs!).toFixed(2)}x, PyTorch's best: ${r.pytorchBestSetting})`,
  );
  return (
    `gradscope ran behind PyTorch's best setting under the built-in thread rules on ${named.join('; ')}: ` +
    '`gradscope bench --tune` measures the fastest settings of this machine (about 10 minutes on 2 cores) ' +
    'and every later command uses them'
  );
}
