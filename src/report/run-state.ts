/**
 * Whether a study's report shows a whole run. A run that diverged, was stopped by a
 * signal, or is still going has fewer epochs than its config asks for, and its
 * numbers must not pass for a finished study's: the report says, per seed and phase,
 * what happened, from the status lines of metrics.jsonl.
 */
import { escapeHtml } from './escape-html';
import type { StudyModel } from './study-model';

export type PhaseState =
  'finished' | 'converged' | 'switched' | 'diverged' | 'stopped' | 'not finished';

export interface PhaseOutcome {
  seed: number;
  phase: string;
  state: PhaseState;
  message: string;
}

export function phaseOutcomes(m: StudyModel): PhaseOutcome[] {
  const out: PhaseOutcome[] = [];
  for (const seed of m.seeds)
    for (const phase of m.phases) {
      const own = m.statuses.filter((s) => s.seed === seed && s.phase === phase);
      const last = own.filter((s) => s.status !== 'branched').pop();
      const status = String(last?.status ?? '');
      const state: PhaseState =
        status === 'finished' ||
        status === 'converged' ||
        status === 'switched' ||
        status === 'diverged'
          ? status
          : status === 'stopped'
            ? 'stopped'
            : 'not finished';
      const epochs = m.epochs.filter((e) => e.seed === seed && e.phase === phase).length;
      out.push({
        seed,
        phase,
        state,
        message: last?.message ?? (epochs === 0 ? 'no epoch yet' : `${epochs} epochs so far`),
      });
    }
  return out;
}

/** Experiment A's lines and the sharpness files the config asks for that are not there. */
export function missingPieces(m: StudyModel): string[] {
  const missing: string[] = [];
  const diverged = (seed: number) =>
    m.statuses.some((s) => s.seed === seed && s.status === 'diverged');
  for (const seed of m.seeds) {
    if (diverged(seed)) continue; // its pieces are skipped, and the banner says why
    for (const [from, to] of m.config.lines.pairs)
      if (!m.lines.some((l) => l.seed === seed && l.from === from && l.to === to))
        missing.push(`seed ${seed}: the line ${from} -> ${to}`);
    if (m.config.sharpness)
      for (const b of m.config.process2.arms)
        if (!m.sharpness.some((s) => s.seed === seed && s.phase === `arm-${b}`))
          missing.push(`seed ${seed}: the sharpness of arm-${b}`);
  }
  return missing;
}

/** The banners at the top of the report: DIVERGED and INCOMPLETE, with their phases. */
export function runStateBanners(m: StudyModel): string {
  const outcomes = phaseOutcomes(m);
  const diverged = outcomes.filter((o) => o.state === 'diverged');
  const open = outcomes
    .filter((o) => o.state === 'stopped' || o.state === 'not finished')
    .map((o) => `seed ${o.seed}, ${o.phase}: ${o.message}`);
  if (open.length === 0) open.push(...missingPieces(m).map((p) => `${p}: not done yet`));
  const list = (items: string[]) => items.map((i) => `<li>${escapeHtml(i)}</li>`).join('');
  const parts: string[] = [];
  if (diverged.length > 0)
    parts.push(
      `<div class="banner" data-state="diverged"><p>DIVERGED: training blew up; the numbers below are those of the last good epochs.</p><ul>${list(diverged.map((o) => `seed ${o.seed}, ${o.phase}: ${o.message}`))}</ul></div>`,
    );
  if (open.length > 0)
    parts.push(
      `<div class="banner" data-state="incomplete"><p>INCOMPLETE: this run has not done all its work (stopped, still running, or skipped after a divergence); resume it with --resume.</p><ul>${list(open)}</ul></div>`,
    );
  return parts.join('');
}
