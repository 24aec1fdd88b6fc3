/**
 * Sharpness of the final solutions: Keskar's metric per box and space with the Hessian's top
 * eigenvalues and trace, the blocks of the parameter groups (table and figure), and the
 * Hessian's spectral density of every solution of a seed.
 */
import { densityFigure } from '../density-figure';
import { formatNumber as num } from '../format-number';
import { layerCurvatureFigure } from '../layer-figures';
import type { Block, Section } from '../section';
import { phaseLabel, type StudyModel } from '../study-model';
import { pendingHtml, type StudyPending } from '../study-progress';
import type { Table, TableCell } from '../table';

function keskarTable(m: StudyModel): Table {
  const rows: TableCell[][] = [];
  for (const s of m.sharpness) {
    const eig = s.hessian.eigenvalues
      .map((e) => `${num(e.value)}${e.converged ? '' : ' (not converged)'}`)
      .join(', ');
    const trace = s.hessian.trace
      ? `${num(s.hessian.trace.trace)} ± ${num(s.hessian.trace.standardError)}`
      : '-';
    for (const k of s.keskar)
      rows.push([
        String(s.seed),
        phaseLabel(s.phase, m.config.process2.arms),
        num(k.eps),
        k.space === 'full' ? 'full' : `subspace p = ${k.dimension}`,
        num(k.sharpness),
        `${k.method}, ${k.iterations} it.`,
        eig,
        trace,
      ]);
  }
  return {
    head: [
      'seed',
      'solution',
      'eps',
      'space',
      'sharpness',
      'maximiser',
      'top Hessian eigenvalues',
      'Hessian trace (Hutchinson)',
    ],
    rows,
    attributes: { id: 'sharpness-table' },
  };
}

function layerRows(m: StudyModel): TableCell[][] {
  return m.sharpness.flatMap((s) =>
    (s.hessian.layers ?? []).map((b) => [
      String(s.seed),
      phaseLabel(s.phase, m.config.process2.arms),
      b.group,
      String(b.size),
      num(b.topEigenvalue),
      `${num(b.trace)} ± ${num(b.standardError)}`,
    ]),
  );
}

function figures(m: StudyModel): Block[] {
  const blocks: Block[] = [];
  const label = (phase: string) => phaseLabel(phase, m.config.process2.arms);
  for (const s of m.sharpness) {
    if (!s.hessian.layers?.length) continue;
    const name = `sharpness-layers-seed-${s.seed}-${s.phase}`;
    blocks.push({
      kind: 'figure',
      id: name,
      file: name,
      svg: layerCurvatureFigure(
        `Curvature per parameter group: ${label(s.phase)}, seed ${s.seed}`,
        s.hessian.layers,
      ),
      caption: `Top eigenvalue (solid) and trace (dashed) of each block P_g H P_g of the final solution of ${s.phase}, seed ${s.seed}, log scale.`,
    });
  }
  // the Hessian's spectral density of every solution of a seed, overlaid
  for (const seed of m.seeds) {
    const curves = m.sharpness
      .filter((s) => s.seed === seed && s.hessian.density)
      .map((s) => ({ name: label(s.phase), density: s.hessian.density! }));
    if (curves.length)
      blocks.push({
        kind: 'figure',
        id: `density-${seed}`,
        file: `hessian-density-seed-${seed}`,
        svg: densityFigure(`Hessian spectral density, seed ${seed}`, curves),
        caption: `Stochastic Lanczos quadrature (${curves[0]!.density.probes.length} probes x ${curves[0]!.density.steps} steps), Gaussian-broadened, log density: the small-batch solution and each piggybacked one.`,
      });
  }
  return blocks;
}

export function sharpnessSection(m: StudyModel, pending: StudyPending): Section {
  const blocks: Block[] = [{ kind: 'html', html: pendingHtml(pending, 'sharpness') }];
  if (m.sharpness.length === 0)
    blocks.push({
      kind: 'paragraph',
      text: m.config.sharpness ? 'None yet.' : 'Not measured in this run.',
    });
  else {
    blocks.push(
      {
        kind: 'paragraph',
        text: "Keskar et al.'s metric 2.1: 100 (max over the box of f(w + z) − f(w)) / (1 + f(w)), a lower bound (the maximiser runs a few iterations); Hessian of the training loss in population mode.",
      },
      { kind: 'table', table: keskarTable(m) },
    );
    const rows = layerRows(m);
    if (rows.length)
      blocks.push(
        {
          kind: 'paragraph',
          text: 'Per parameter group g: the top eigenvalue (Lanczos) and trace (Hutchinson, the same probes as the full trace, to which the blocks add up) of the block P_g H P_g.',
        },
        {
          kind: 'table',
          table: {
            head: ['seed', 'solution', 'parameter group', 'size', 'top eigenvalue', 'trace'],
            rows,
            attributes: { id: 'sharpness-layers-table' },
          },
        },
      );
    blocks.push(...figures(m));
  }
  return { kind: 'section', id: 'sharpness', title: 'Sharpness of the final solutions', blocks };
}
