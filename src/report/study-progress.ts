/**
 * What a study still has to do, from its files: phases without a final status, lines and
 * sharpness measurements without their file. The report marks these pieces "to come" (a
 * finished run has none), so a report of a running study (`gradscope serve`) says what is
 * missing rather than looking complete.
 */
import { TERMINAL_STATUSES } from '../store/metrics';
import type { StudyModel } from './study-model';

export interface StudyPending {
  /** Phases not finished, with the epochs done so far and the last planned epoch. */
  phases: { seed: number; phase: string; epochsDone: number; lastEpoch: number }[];
  lines: { seed: number; from: string; to: string }[];
  sharpness: { seed: number; phase: string }[];
}

export function studyPending(m: StudyModel): StudyPending {
  const out: StudyPending = { phases: [], lines: [], sharpness: [] };
  const c = m.config;
  for (const seed of m.seeds) {
    const ended = (phase: string) =>
      m.statuses.some(
        (s) => s.seed === seed && s.phase === phase && TERMINAL_STATUSES.includes(s.status),
      );
    const p1Diverged = m.statuses.some(
      (s) => s.seed === seed && s.phase === 'process1' && s.status === 'diverged',
    );
    const branch = m.statuses.find(
      (s) => s.seed === seed && s.phase === 'process1' && s.status === 'branched',
    );
    for (const phase of m.phases) {
      if (ended(phase) || (phase !== 'process1' && p1Diverged)) continue;
      const own = m.epochs.filter((e) => e.seed === seed && e.phase === phase);
      const lastEpoch =
        phase === 'process1'
          ? c.process1.epochs
          : (branch?.branchEpoch ?? branch?.epoch ?? c.process1.epochs) + c.process2.epochs;
      out.phases.push({ seed, phase, epochsDone: own.at(-1)?.epoch ?? 0, lastEpoch });
    }
    if (p1Diverged) continue;
    for (const [from, to] of c.lines.pairs)
      if (!m.lines.some((l) => l.seed === seed && l.from === from && l.to === to))
        out.lines.push({ seed, from, to });
    if (c.sharpness)
      for (const b2 of c.process2.arms) {
        const phase = `arm-${b2}`;
        if (!m.sharpness.some((s) => s.seed === seed && s.phase === phase))
          out.sharpness.push({ seed, phase });
      }
  }
  return out;
}

export function isComplete(p: StudyPending): boolean {
  return p.phases.length + p.lines.length + p.sharpness.length === 0;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The "to come" note of one part of the report (empty when nothing of it is to come). */
export function pendingHtml(
  p: StudyPending,
  part: 'progress' | 'training' | 'analysis' | 'lines' | 'sharpness',
): string {
  const note = (items: string[]) =>
    items.length
      ? `<p class="pending" data-pending="${part}">To come: ${esc(items.join('; '))}.</p>`
      : '';
  const phase = (x: StudyPending['phases'][number]) =>
    `seed ${x.seed} ${x.phase} (${x.epochsDone ? `epoch ${x.epochsDone} of ${x.lastEpoch}` : 'not started'})`;
  switch (part) {
    case 'progress':
      return isComplete(p)
        ? ''
        : `<section id="progress"><h2>The run is still going</h2>${note([
            ...p.phases.map(phase),
            ...p.lines.map((l) => `seed ${l.seed} line ${l.from} to ${l.to}`),
            ...p.sharpness.map((s) => `seed ${s.seed} sharpness of ${s.phase}`),
          ])}<p class="pending">Numbers below are those of the pieces written so far.</p></section>`;
    case 'training':
      return note(p.phases.map(phase));
    case 'analysis':
      return note(p.phases.map((x) => `the analysis points of seed ${x.seed} ${x.phase}`));
    case 'lines':
      return note(p.lines.map((l) => `seed ${l.seed}: ${l.from} to ${l.to}`));
    case 'sharpness':
      return note(p.sharpness.map((s) => `seed ${s.seed} ${s.phase}`));
  }
}
