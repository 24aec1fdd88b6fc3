/**
 * The paths of a switch study's run directory (`gradscope run configs/switch.yaml --out DIR`):
 *
 *   config.json                   the switch study's config and the training set's size
 *   variants/<name>/              one study run directory per variant (src/store/study-paths.ts):
 *                                 seeds/<s>/ (its training run), sharpness/, tensorboard/
 *   report.html, report.json, tables/   the switch study's report (study-paths.ts' names)
 *
 * Nothing outside src/store/ joins these names.
 */
import * as path from 'path';

/** DIR/variants/<name>, the study directory of one variant. */
export function variantDir(switchDir: string, variant: string): string {
  return path.join(switchDir, 'variants', variant);
}
