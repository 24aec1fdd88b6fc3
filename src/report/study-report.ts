/**
 * report.html: one self-contained page (inline CSS, figures and the scripts that make them
 * live: vega, vega-lite, vega-embed from node_modules; no network)
 * with the config, the summary per arm (mean and spread over seeds), training
 * curves, Experiment A, Experiment B's tables and figures (per parameter group too, when
 * measured), Smith's check and B_simple, sharpness, training trajectories, and timings. Also writes report.json (the model), the
 * tables as CSV/Markdown and every figure as SVG and PNG.
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeFileAtomic } from '../core/atomic-write';
import { writeReportJson } from '../store/report-file';
import { reportHtmlFile } from '../store/study-paths';
import { gradientPhaseFigure, gradientPointFigure } from './gradient-figures';
import {
  gradientHistogramCsv,
  gradientSummaryCsv,
  gradientTablesMarkdown,
  type AnalysisPoint,
} from './gradient-tables';
import { lineChart, type LineSeries } from './line-chart';
import { lineCsv, lineFigure } from './line-figures';
import { PALETTE } from './svg';
import { phaseLabel, studyModel, type Spread, type StudyModel } from './study-model';
import { writeFigure } from './write-figure';
import { densityFigure } from './density-figure';
import { layerCurvatureFigure, layerNoiseFigure } from './layer-figures';
import { trajectoryFigure } from './trajectory-figure';
import { conclusionSentence, studyConclusions } from './conclusions';
import { thesisTables, thesisTablesMarkdown } from './thesis-tables';
import { runStateBanners } from './run-state';
import { pendingHtml, studyPending } from './study-progress';
import { interactiveFigure, interactiveScripts } from './interactive';

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function num(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0)
    ? x.toExponential(3)
    : x.toFixed(digits);
}

function cell(s: Spread, percent: boolean, key: string): string {
  const f = (x: number) => (percent ? `${(100 * x).toFixed(2)}%` : num(x));
  const text = s.values.length > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean);
  return `<td data-metric="${key}" data-value="${s.mean}">${text}</td>`;
}

function table(head: string[], rows: string[][], attrs = ''): string {
  return `<table ${attrs}><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) => `<tr>${r.map((c) => (c.startsWith('<td') ? c : `<td>${esc(c)}</td>`)).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function figure(id: string, svg: string, caption: string): string {
  return `<figure data-figure="${esc(id)}">${interactiveFigure(svg)}<figcaption>${esc(caption)}</figcaption></figure>`;
}

/** The seed's training curves; undefined before its first epoch (nothing to draw). */
function curves(m: StudyModel, seed: number): { accuracy: string; loss: string } | undefined {
  if (!m.epochs.some((e) => e.seed === seed)) return undefined;
  const series = (
    key: 'testAccuracy' | 'trainLoss' | 'testLoss',
    dash: boolean,
    scale = 1,
  ): LineSeries[] =>
    m.phases
      .map((phase, i) => {
        const own = m.epochs.filter((e) => e.seed === seed && e.phase === phase);
        // an arm starts where process 1 ended: draw it from the branch point
        const branch =
          phase === 'process1' || own.length === 0
            ? []
            : m.epochs.filter(
                (e) => e.seed === seed && e.phase === 'process1' && e.epoch === own[0]!.epoch - 1,
              );
        const points = [...branch, ...own].map((e): [number, number] => [e.epoch, scale * e[key]]);
        return {
          name: `${phase}${key === 'testLoss' ? ' (test)' : key === 'trainLoss' ? ' (train)' : ''}`,
          axis: 'left' as const,
          points,
          dash,
          color: PALETTE[i % PALETTE.length]!,
        };
      })
      .filter((s) => s.points.length > 0);
  return {
    accuracy: lineChart({
      title: `Test accuracy by epoch (seed ${seed})`,
      xLabel: 'epoch',
      leftLabel: 'test accuracy (%)',
      series: series('testAccuracy', false, 100),
    }),
    loss: lineChart({
      title: `Cross-entropy by epoch (seed ${seed}): train solid, test dashed`,
      xLabel: 'epoch',
      leftLabel: 'cross-entropy (log scale)',
      logLeft: true,
      series: [...series('trainLoss', false), ...series('testLoss', true)],
    }),
  };
}

function noiseScaleFigure(m: StudyModel, seed: number): string | undefined {
  const series: LineSeries[] = m.phases
    .map((phase, i) => ({
      name: phase,
      axis: 'left' as const,
      points: m.analysis
        .filter((a) => a.seed === seed && a.phase === phase)
        .map((a): [number, number] => [a.epoch, a.result.bSimple]),
      color: PALETTE[i % PALETTE.length]!,
    }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return undefined;
  return lineChart({
    title: `Simple gradient noise scale B_simple = tr(F) / |g_train|² (seed ${seed})`,
    xLabel: 'epoch',
    leftLabel: 'B_simple (log scale)',
    logLeft: true,
    series,
  });
}

/** report.html, report.json, tables/ and figures/ of a run directory, from its files. */
export function writeStudyReport(runDir: string): { file: string; model: StudyModel } {
  const m = studyModel(runDir);
  const html = studyReportHtml(m, { figures: true, tables: true });
  const file = reportHtmlFile(runDir);
  writeReportJson(runDir, {
    ...m,
    epochs: undefined,
    analysis: m.analysis.map((a) => ({
      seed: a.seed,
      phase: a.phase,
      epoch: a.epoch,
      d: a.result.d,
      traceF: a.result.traceF,
      bSimple: a.result.bSimple,
    })),
  });
  writeFileAtomic(file, html);
  return { file, model: m };
}

/**
 * The report's HTML; with `write`, also the figure and table files beside it (`gradscope
 * serve` renders without writing). A run still going gets its pieces to come marked.
 */
export function studyReportHtml(
  m: StudyModel,
  write: { figures: boolean; tables: boolean } = { figures: false, tables: false },
): string {
  const runDir = m.runDir;
  const figures = path.join(runDir, 'figures');
  const tables = path.join(runDir, 'tables');
  if (write.tables) fs.mkdirSync(tables, { recursive: true });
  const save = (name: string, svg: string): string => {
    if (write.figures) writeFigure(figures, name, svg);
    return svg;
  };
  const writeTable = (file: string, content: string): void => {
    if (write.tables) writeFileAtomic(file, content);
  };
  const pending = studyPending(m);
  const demo = m.scale === 'demo';
  const parts: string[] = [];

  parts.push(
    `<header><h1>${esc(m.name)}</h1>${
      demo
        ? '<p class="banner" data-scale="demo">DEMO SCALE: fewer epochs and draws than the study; for a first look, not for conclusions.</p>'
        : ''
    }<p>${esc(m.data)}; seeds ${m.seeds.join(', ')}; gradscope ${esc(m.gradscope)}; written ${new Date().toISOString()}</p>${runStateBanners(m)}</header>`,
  );

  parts.push(pendingHtml(pending, 'progress'));

  // summary
  parts.push('<section id="summary"><h2>Final loss and accuracy per arm</h2>');
  parts.push(
    table(
      ['phase', 'epoch', 'status', 'train loss', 'train accuracy', 'test loss', 'test accuracy'],
      m.summary.map((r) => [
        `<td data-phase="${esc(r.phase)}">${esc(r.label)}</td>`,
        String(r.epoch),
        r.status,
        cell(r.trainLoss, false, 'trainLoss'),
        cell(r.trainAccuracy, true, 'trainAccuracy'),
        cell(r.testLoss, false, 'testLoss'),
        cell(r.testAccuracy, true, 'testAccuracy'),
      ]),
      'id="summary-table"',
    ),
  );
  const branches = m.statuses.filter((r) => r.phase === 'process1' && r.status === 'branched');
  if (branches.length > 0)
    parts.push(
      `<p id="branch-points">Where process 2 branched: ${branches
        .map((b) => {
          const epoch = b.branchEpoch ?? b.epoch;
          const at = m.epochs.find(
            (e) => e.seed === b.seed && e.phase === 'process1' && e.epoch === epoch,
          );
          const converged = m.statuses.find(
            (r) => r.seed === b.seed && r.phase === 'process1' && r.status === 'converged',
          );
          return esc(
            `seed ${b.seed}: epoch ${epoch}${at ? `, test accuracy ${(100 * at.testAccuracy).toFixed(2)}%` : ''}; ${converged ? converged.message : b.message}`,
          );
        })
        .join('; ')}.</p>`,
    );
  const conclusions = studyConclusions(m);
  if (conclusions.length > 0) {
    parts.push(
      `<h3>Conclusions, with their spread over seeds</h3><p>Each piggybacked arm against the small-batch control, paired by seed: the mean difference and its 95% Student t interval; "better" or "worse" only when the interval excludes zero.</p>`,
      table(
        ['comparison', 'quantity', 'mean', '95% interval', 'seeds', 'reading'],
        conclusions.map((c) => [
          c.subject,
          c.quantity,
          num(c.interval.mean),
          c.interval.low === undefined ? '-' : `${num(c.interval.low)} to ${num(c.interval.high!)}`,
          String(c.interval.n),
          `<td data-reading="${esc(c.reading)}">${esc(c.reading)}</td>`,
        ]),
        'id="conclusions-table"',
      ),
      `<ul>${conclusions.map((c) => `<li>${esc(conclusionSentence(c, (x) => num(x)))}</li>`).join('')}</ul>`,
    );
    writeTable(
      path.join(tables, 'conclusions.md'),
      conclusions.map((c) => `- ${conclusionSentence(c, (x) => num(x))}`).join('\n') + '\n',
    );
  }
  parts.push('</section>');

  // training curves
  parts.push('<section id="training"><h2>Training curves</h2>', pendingHtml(pending, 'training'));
  for (const seed of m.seeds) {
    const c = curves(m, seed);
    if (!c) {
      parts.push(`<p>Seed ${seed}: no epoch finished yet.</p>`);
      continue;
    }
    parts.push(
      figure(
        `curves-accuracy-${seed}`,
        save(`curves-accuracy-seed-${seed}`, c.accuracy),
        'Test accuracy per phase; process 2 arms branch from the end of process 1.',
      ),
    );
    parts.push(
      figure(
        `curves-loss-${seed}`,
        save(`curves-loss-seed-${seed}`, c.loss),
        'Training and test cross-entropy per phase.',
      ),
    );
  }
  parts.push('</section>');

  // Experiment A
  parts.push(
    '<section id="experiment-a"><h2>Experiment A: the loss along the line between two solutions</h2>',
  );
  parts.push(pendingHtml(pending, 'lines'));
  if (m.lines.length === 0) parts.push('<p>No lines yet.</p>');
  const lineRows: string[][] = [];
  for (const l of m.lines) {
    const name = `line-seed-${l.seed}-${l.from}-${l.to}`;
    writeTable(path.join(tables, `${name}.csv`), lineCsv(l));
    parts.push(
      figure(
        name,
        save(
          name,
          lineFigure(l, `seed ${l.seed}: w_a = ${l.from}, w_b = ${l.to} (batch norm ${l.bn})`),
        ),
        `w(α) = (1 − α) w_a + α w_b; train solid, test dashed.`,
      ),
    );
    lineRows.push([
      String(l.seed),
      l.from,
      l.to,
      l.bn,
      l.best ? num(l.best.alpha, 3) : '-',
      l.best ? num(l.best.testLoss) : '-',
      l.best ? `${(100 * l.best.testAccuracy).toFixed(2)}%` : '-',
      String(l.points.filter((p) => !p.test).length),
    ]);
  }
  if (lineRows.length)
    parts.push(
      table(
        [
          'seed',
          'w_a',
          'w_b',
          'batch norm',
          'α of lowest test loss',
          'its test loss',
          'its test accuracy',
          'undefined points',
        ],
        lineRows,
      ),
    );
  parts.push('</section>');

  // Experiment B
  parts.push(
    '<section id="experiment-b"><h2>Experiment B: mini-batch gradients around g_train and g_total</h2>',
  );
  const points: AnalysisPoint[] = m.analysis.map((a) => ({
    label: `seed ${a.seed}, ${a.phase}, epoch ${a.epoch}`,
    phase: a.phase,
    epoch: a.epoch,
    analysis: a.result,
  }));
  parts.push(pendingHtml(pending, 'analysis'));
  if (points.length === 0) parts.push('<p>No analysis points yet.</p>');
  else {
    const schemes = [...new Set(points.map((p) => p.analysis.draws ?? 'independent'))];
    parts.push(
      `<p>Draws: ${esc(schemes.join(', '))}${schemes.includes('nested') ? ' (per draw one batch of the largest B; each smaller B takes its first B examples: every B uniform without replacement, batches of different B dependent)' : ' (every B its own uniform batches without replacement, independent)'}.</p>`,
    );
    writeTable(path.join(tables, 'gradients.md'), gradientTablesMarkdown(points));
    writeTable(path.join(tables, 'gradients-histograms.csv'), gradientHistogramCsv(points));
    writeTable(path.join(tables, 'gradients-summary.csv'), gradientSummaryCsv(points));
    for (const seed of m.seeds)
      for (const phase of m.phases) {
        const along = points.filter((p, i) => m.analysis[i]!.seed === seed && p.phase === phase);
        if (along.length === 0) continue;
        const name = `gradients-seed-${seed}-${phase}`;
        parts.push(
          figure(
            name,
            save(name, gradientPhaseFigure(`${phase} (seed ${seed})`, along)),
            `|g_B − g_total|/d over the K draws per B, at each analysis point of ${phase}.`,
          ),
        );
        const last = along[along.length - 1]!;
        parts.push(
          figure(
            `${name}-last`,
            save(`${name}-epoch-${last.epoch}`, gradientPointFigure(last)),
            `Both distances at ${last.label}.`,
          ),
        );
      }
    const thesis = thesisTables(
      m.analysis,
      m.seeds,
      m.config.analysis.batchSizes,
      m.config.process2.arms,
    );
    parts.push('<h3>Tables in the thesis layout (Tables 3.2 to 3.6)</h3>');
    if (thesis.length === 0) parts.push('<p>No analysis point of these tables yet.</p>');
    for (const t of thesis)
      parts.push(
        `<h4>Table ${esc(t.number)}: ${esc(t.title)}</h4>`,
        table(t.head, t.rows, `data-thesis-table="${esc(t.number)}" data-seed="${t.seed}"`),
      );
    writeTable(path.join(tables, 'thesis-tables.md'), thesisTablesMarkdown(thesis));
    parts.push('<h3>Every analysis point</h3>');
    // per parameter group, when measured: a table and a figure per analysis point
    const layerView = (p: AnalysisPoint): string => {
      const a = p.analysis;
      if (!a.layers?.length) return '';
      const seed = m.analysis[points.indexOf(p)]!.seed;
      const name = `gradients-layers-seed-${seed}-${p.phase}-epoch-${p.epoch}`;
      return `<p>${esc(p.label)}, per parameter group g (the tr(F_g) add up to tr(F)):</p>${table(
        [
          'parameter group',
          'size',
          '|g_train,g|/d',
          ...a.batchSizes.map((b) => `B=${b.batchSize} mean |g_B,g − g_train,g|/d`),
          'tr(F_g)',
          'B_simple',
        ],
        a.layers.map((l) => [
          l.group,
          String(l.size),
          num(l.gTrainNorm, 3),
          ...l.meanToTrain.map((x) => num(x.mean, 3)),
          num(l.traceF, 4),
          num(l.bSimple, 1),
        ]),
        `data-layers-table="${esc(name)}"`,
      )}${figure(
        name,
        save(name, layerNoiseFigure(`Gradient noise per parameter group: ${p.label}`, a.layers)),
        `Per parameter group at ${p.label}: mean |g_B − g_train| of each B (solid) and |g_train| (dashed), in units of d, log scale.`,
      )}`;
    };
    for (const p of points) {
      const a = p.analysis;
      const head = [
        'distance (d)',
        ...a.batchSizes.flatMap((b) => [
          `B=${b.batchSize} from g_train`,
          `B=${b.batchSize} from g_total`,
        ]),
      ];
      const rows = a.batchSizes[0]!.histogramToTrain.bins.map((bin, i) => [
        bin,
        ...a.batchSizes.flatMap((b) => [
          String(b.histogramToTrain.counts[i]),
          String(b.histogramToTotal.counts[i]),
        ]),
      ]);
      parts.push(
        `<details><summary>${esc(p.label)}: d = ${num(a.d, 5)}, |g_train|/d = ${num(a.gTrainNorm, 3)}, |g_total|/d = ${num(a.gTotalNorm, 3)}, cos(g_train, g_total) = ${num(a.cosTrainTotal, 4)}</summary>${table(head, rows)}${table(
          [
            'B',
            'mean |g_B − g_train|/d',
            'median',
            'min',
            'max',
            'mean |g_B − g_total|/d',
            'median',
            'min',
            'max',
          ],
          a.batchSizes.map((b) => [
            String(b.batchSize),
            num(b.toTrain.mean, 3),
            num(b.toTrain.median, 3),
            num(b.toTrain.min, 3),
            num(b.toTrain.max, 3),
            num(b.toTotal.mean, 3),
            num(b.toTotal.median, 3),
            num(b.toTotal.min, 3),
            num(b.toTotal.max, 3),
          ]),
        )}</details>${layerView(p)}`,
      );
    }
  }
  parts.push('</section>');

  // beyond the thesis
  parts.push(
    '<section id="beyond"><h2>Beyond the thesis: Smith and Le\'s check and the noise scale</h2>',
  );
  parts.push(
    '<p>B E|g_B − g_train|² / (1 − B/M) estimates tr(F) and is constant across B when the central-limit prediction holds; B_simple = tr(F)/|g_train|² (McCandlish et al.).</p>',
  );
  if (points.length) {
    const sizes = [
      ...new Set(points.flatMap((p) => p.analysis.batchSizes.map((b) => b.batchSize))),
    ].sort((a, b) => a - b);
    parts.push(
      table(
        ['point', ...sizes.map((b) => `B=${b}`), 'tr(F)', 'B_simple'],
        points.map((p) => [
          p.label,
          ...sizes.map((b) => {
            const r = p.analysis.batchSizes.find((x) => x.batchSize === b);
            return r ? num(r.smithTrace) : '-';
          }),
          num(p.analysis.traceF),
          num(p.analysis.bSimple, 1),
        ]),
        'id="smith-table"',
      ),
    );
    for (const seed of m.seeds) {
      const svg = noiseScaleFigure(m, seed);
      if (svg)
        parts.push(
          figure(
            `noise-scale-${seed}`,
            save(`noise-scale-seed-${seed}`, svg),
            'B_simple at each analysis point.',
          ),
        );
    }
  }
  parts.push('</section>');

  // sharpness
  parts.push('<section id="sharpness"><h2>Sharpness of the final solutions</h2>');
  parts.push(pendingHtml(pending, 'sharpness'));
  if (m.sharpness.length === 0)
    parts.push(m.config.sharpness ? '<p>None yet.</p>' : '<p>Not measured in this run.</p>');
  else {
    const rows: string[][] = [];
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
    parts.push(
      "<p>Keskar et al.'s metric 2.1: 100 (max over the box of f(w + z) − f(w)) / (1 + f(w)), a lower bound (the maximiser runs a few iterations); Hessian of the training loss in population mode.</p>",
    );
    parts.push(
      table(
        [
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
        'id="sharpness-table"',
      ),
    );
    // per parameter group, when measured
    const blockRows = m.sharpness.flatMap((s) =>
      (s.hessian.layers ?? []).map((b) => [
        String(s.seed),
        phaseLabel(s.phase, m.config.process2.arms),
        b.group,
        String(b.size),
        num(b.topEigenvalue),
        `${num(b.trace)} ± ${num(b.standardError)}`,
      ]),
    );
    if (blockRows.length)
      parts.push(
        '<p>Per parameter group g: the top eigenvalue (Lanczos) and trace (Hutchinson, the same probes as the full trace, to which the blocks add up) of the block P_g H P_g.</p>',
        table(
          ['seed', 'solution', 'parameter group', 'size', 'top eigenvalue', 'trace'],
          blockRows,
          'id="sharpness-layers-table"',
        ),
      );
    for (const s of m.sharpness) {
      if (!s.hessian.layers?.length) continue;
      const name = `sharpness-layers-seed-${s.seed}-${s.phase}`;
      parts.push(
        figure(
          name,
          save(
            name,
            layerCurvatureFigure(
              `Curvature per parameter group: ${phaseLabel(s.phase, m.config.process2.arms)}, seed ${s.seed}`,
              s.hessian.layers,
            ),
          ),
          `Top eigenvalue (solid) and trace (dashed) of each block P_g H P_g of the final solution of ${s.phase}, seed ${s.seed}, log scale.`,
        ),
      );
    }
    // the Hessian's spectral density of every solution of a seed, overlaid
    for (const seed of m.seeds) {
      const curves = m.sharpness
        .filter((s) => s.seed === seed && s.hessian.density)
        .map((s) => ({
          name: phaseLabel(s.phase, m.config.process2.arms),
          density: s.hessian.density!,
        }));
      if (curves.length)
        parts.push(
          figure(
            `density-${seed}`,
            save(
              `hessian-density-seed-${seed}`,
              densityFigure(`Hessian spectral density, seed ${seed}`, curves),
            ),
            `Stochastic Lanczos quadrature (${curves[0]!.density.probes.length} probes x ${curves[0]!.density.steps} steps), Gaussian-broadened, log density: the small-batch solution and each piggybacked one.`,
          ),
        );
    }
  }
  parts.push('</section>');

  // training trajectories
  parts.push('<section id="trajectories"><h2>Training trajectories</h2>');
  if (m.trajectories.length === 0) parts.push('<p>Not measured in this run.</p>');
  else
    parts.push(
      '<p>Li et al. (2018), section 7: the checkpoints of process 1 and of every arm, as w_epoch − w_final, in the plane of their first two principal components, the final solution of the largest-B arm at the origin; every arm leaves from the branch point. The loss is measured over that plane; each path is drawn with its epochs.</p>',
    );
  for (const t of m.trajectories) {
    const name = `trajectory-seed-${t.seed}`;
    parts.push(
      figure(
        name,
        save(
          name,
          trajectoryFigure(t, `Seed ${t.seed}: ${t.set} loss over the trajectories' plane`),
        ),
        `Seed ${t.seed}: the two components carry ${(100 * t.explained[0]).toFixed(1)}% and ${(100 * t.explained[1]).toFixed(1)}% of the sum of |w_epoch − w_final|²; origin ${t.final.label}; ${t.xs.length} × ${t.ys.length} points (batch norm: ${t.bn}) in ${t.seconds.toFixed(1)} s.`,
      ),
      `<details><summary>Seed ${t.seed}: the paths' coordinates</summary>${table(
        ['path', 'epoch', 'x (1st component)', 'y (2nd component)'],
        t.paths.flatMap((p) =>
          p.points.map((q) => [
            phaseLabel(p.label, m.config.process2.arms),
            String(q.epoch),
            num(q.x),
            num(q.y),
          ]),
        ),
        `data-trajectory-table="${t.seed}"`,
      )}</details>`,
    );
  }
  parts.push('</section>');

  // timings and config
  parts.push('<section id="timings"><h2>Timings</h2>');
  parts.push(
    table(
      ['seed', 'phase', 'training (s)', 'Experiment B (s)'],
      m.timings.map((t) => [
        String(t.seed),
        t.phase,
        t.trainingSeconds.toFixed(1),
        t.analysisSeconds.toFixed(1),
      ]),
    ),
  );
  const lineSeconds = m.lines.reduce((s, l) => s + l.seconds, 0);
  parts.push(
    `<p>Experiment A: ${lineSeconds.toFixed(1)} s for ${m.lines.length} lines.${
      m.trajectories.length
        ? ` Training trajectories: ${m.trajectories.reduce((s, t) => s + t.seconds, 0).toFixed(1)} s for ${m.trajectories.length} seed(s).`
        : ''
    }</p></section>`,
  );
  parts.push(
    `<section id="config"><h2>Config</h2><pre>${esc(JSON.stringify(m.config, null, 2))}</pre></section>`,
  );

  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(m.name)}: gradscope report</title>
<style>
body { font-family: 'DejaVu Sans', system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: right; }
th { background: #f4f4f4; } td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure svg { max-width: 100%; height: auto; }
#vg-tooltip-element { font-size: 12px; }
figcaption { color: #555; font-size: 0.9em; }
.banner { background: #fff3cd; border: 1px solid #e0c060; padding: 0.6em; font-weight: bold; }
pre { background: #f8f8f8; padding: 1em; overflow-x: auto; font-size: 0.85em; }
details { margin: 0.5em 0; }
.pending { color: #8a6d00; font-style: italic; }
</style></head><body>
${parts.join('\n')}
${interactiveScripts()}
</body></html>
`;
  return html;
}
