/**
 * The words a report gives its loss and accuracy: for images the cross-entropy per example
 * and the accuracy; for a language model's study (token data) the cross-entropy per token,
 * its perplexity exp(loss) (natural log, so perplexity is the effective number of equally
 * likely next tokens) and the next-token accuracy (docs/mathematics.md: every sum over a
 * window is per token).
 */

/**
 * A report's words for its loss and accuracy (quantityLabels).
 *
 * @example
 * ```ts
 * import { quantityLabels, type QuantityLabels } from 'gradscope';
 * const words: QuantityLabels = quantityLabels(false);
 * console.log(words.loss, words.perplexity); // loss false
 * ```
 */
export interface QuantityLabels {
  /** "loss" or "loss per token", after "train " / "test ". */
  loss: string;
  /** "accuracy" or "next-token accuracy". */
  accuracy: string;
  /** The figures' axis: "cross-entropy" or "cross-entropy per token". */
  crossEntropy: string;
  /** Whether the report gives perplexity beside each loss. */
  perplexity: boolean;
}

/**
 * The labels for a study on token data (`tokens` true) or on images.
 *
 * @example
 * ```ts
 * import { quantityLabels } from 'gradscope';
 * const text = quantityLabels(true);
 * console.log(`test ${text.loss}`, `test ${text.accuracy}`); // test loss per token, test next-token accuracy
 * ```
 */
export function quantityLabels(tokens: boolean): QuantityLabels {
  return tokens
    ? {
        loss: 'loss per token',
        accuracy: 'next-token accuracy',
        crossEntropy: 'cross-entropy per token',
        perplexity: true,
      }
    : { loss: 'loss', accuracy: 'accuracy', crossEntropy: 'cross-entropy', perplexity: false };
}

/**
 * Perplexity of a per-token cross-entropy in nats: exp(loss).
 *
 * @example
 * ```ts
 * import { perplexity } from 'gradscope';
 * console.log(perplexity(Math.log(10))); // 10: as unsure as among 10 equally likely tokens
 * ```
 */
export function perplexity(loss: number): number {
  return Math.exp(loss);
}
