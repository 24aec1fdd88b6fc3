/**
 * The study's conclusions with their uncertainty: each piggybacked arm against the
 * small-batch control, paired by seed (analysis/paired-interval.ts), for the final
 * test accuracy and loss, the sharpness figures and, per line, the alpha of the
 * lowest test loss. Every row says "better", "worse" or "not distinguishable at
 * this number of seeds" from the 95% interval, never from the means alone.
 */
import { pairedInterval, verdict, type PairedInterval } from '../analysis/paired-interval';
import type { SharpnessResult } from '../analysis/sharpness';
import type { StudyModel } from './study-model';
import { quantityLabels } from './quantity-labels';

export interface Conclusion {
  /** e.g. "B2 = 5000 (piggybacked) vs B2 = 256" */
  subject: string;
  quantity: string;
  /** What the interval is of: "arm - control" or, for a line's best alpha, "alpha". */
  of: string;
  interval: PairedInterval;
  /** The sentence's last words: better / worse / ... (or, for alpha, where it lies). */
  reading: string;
}

function finalValue(m: StudyModel, seed: number, phase: string, key: 'testAccuracy' | 'testLoss') {
  const own = m.epochs.filter((e) => e.seed === seed && e.phase === phase);
  return own.length > 0 ? own[own.length - 1]![key] : NaN;
}

/** The sharpness numbers of one solution of one seed, by name. */
function sharpnessFigures(s: SharpnessResult): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of s.keskar)
    out.set(
      `Keskar sharpness (eps ${k.eps}, ${k.space === 'full' ? 'full space' : `subspace p = ${k.dimension}`})`,
      k.sharpness,
    );
  const top = s.hessian.eigenvalues[0];
  if (top) out.set('top Hessian eigenvalue', top.value);
  if (s.hessian.trace) out.set('Hessian trace', s.hessian.trace.trace);
  return out;
}

function sharpnessReading(i: PairedInterval): string {
  const v = verdict(i, false);
  return v === 'better' ? 'flatter' : v === 'worse' ? 'sharper' : v;
}

export function studyConclusions(m: StudyModel): Conclusion[] {
  const arms = m.config.process2.arms;
  const control = `arm-${arms[0]}`;
  const out: Conclusion[] = [];
  const label = (phase: string) => `B2 = ${phase.replace('arm-', '')}`;
  const words = quantityLabels(m.tokens);
  for (const b of arms.slice(1)) {
    const arm = `arm-${b}`;
    const subject = `${label(arm)} (piggybacked) vs ${label(control)} (small-batch)`;
    for (const [key, quantity, largerIsBetter] of [
      ['testAccuracy', `final test ${words.accuracy}`, true],
      ['testLoss', `final test ${words.loss}`, false],
    ] as const) {
      const interval = pairedInterval(
        m.seeds.map((s) => finalValue(m, s, arm, key)),
        m.seeds.map((s) => finalValue(m, s, control, key)),
      );
      if (interval.n > 0)
        out.push({
          subject,
          quantity,
          of: 'arm - control',
          interval,
          reading: verdict(interval, largerIsBetter),
        });
    }
    const sharp = (phase: string, seed: number) =>
      m.sharpness.find((s) => s.phase === phase && s.seed === seed);
    const names = new Set<string>();
    for (const s of m.sharpness) for (const k of sharpnessFigures(s).keys()) names.add(k);
    for (const name of names) {
      const value = (phase: string, seed: number) => {
        const s = sharp(phase, seed);
        return s ? (sharpnessFigures(s).get(name) ?? NaN) : NaN;
      };
      const interval = pairedInterval(
        m.seeds.map((s) => value(arm, s)),
        m.seeds.map((s) => value(control, s)),
      );
      if (interval.n > 0)
        out.push({
          subject,
          quantity: name,
          of: 'arm - control',
          interval,
          reading: sharpnessReading(interval),
        });
    }
  }
  const pairs = new Map<string, number[]>();
  for (const l of m.lines)
    if (l.best) {
      const key = `${l.from} to ${l.to}`;
      pairs.set(key, [...(pairs.get(key) ?? []), l.best.alpha]);
    }
  for (const [key, alphas] of pairs) {
    const interval = pairedInterval(
      alphas,
      alphas.map(() => 0),
    );
    const v = verdict(interval, true);
    out.push({
      subject: `line ${key}`,
      quantity: `alpha of the lowest test ${words.loss}`,
      of: 'alpha',
      interval,
      reading:
        v === 'better'
          ? 'above 0 (toward the second solution)'
          : v === 'worse'
            ? 'below 0 (beyond the first solution)'
            : 'not distinguishable from 0 at this number of seeds',
    });
  }
  return out;
}

/** "+0.0033 (95% interval -0.0005 to +0.0071, 3 seeds): not distinguishable ..." */
export function conclusionSentence(c: Conclusion, format: (x: number) => string): string {
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${format(x)}`;
  const { interval: i } = c;
  const range =
    i.low === undefined || i.high === undefined
      ? `${i.n} seed: no interval`
      : `95% interval ${signed(i.low)} to ${signed(i.high)}, ${i.n} seeds`;
  const what = c.of === 'alpha' ? 'mean' : 'difference';
  return `${c.subject}, ${c.quantity}: ${what} ${signed(i.mean)} (${range}): ${c.reading}`;
}
