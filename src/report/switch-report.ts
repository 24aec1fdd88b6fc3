/**
 * A switch study's report: report.html (the section "When to switch, and to what"), report.json
 * (the model) and its tables as Markdown and CSV, in the study's run directory. The overview
 * gives one row per arm; then a table per arm: each quantity's mean and spread over seeds and its
 * paired difference from the small-batch control and from the fixed switch, with the 95%
 * interval and its reading.
 */
import * as fs from 'fs';
import { verdict, type PairedInterval } from '../analysis/paired-interval';
import { writeFileAtomic } from '../core/atomic-write';
import { switchStudyStatus } from '../experiments/switch-status';
import { writeReportJson } from '../store/report-file';
import { figuresDir, reportHtmlFile, tableFile, tablesDir } from '../store/study-paths';
import { criticalBatchFigure } from './critical-batch-figure';
import { formatNumber } from './format-number';
import { reportHtml } from './report-html';
import { figuresOf, type Block, type Section } from './section';
import { spread } from './study-model';
import {
  controlArm,
  fixedReference,
  pairedAgainst,
  switchModel,
  SWITCH_QUANTITIES,
  valuesOf,
  type SwitchArm,
  type SwitchModel,
  type SwitchQuantity,
} from './switch-table';
import { tableCsv, tableMarkdown, type Table } from './table';
import { writeFigure } from './write-figure';

const LARGER_IS_BETTER: Record<SwitchQuantity, boolean> = {
  testAccuracy: true,
  testLoss: false,
  sharpness: false,
  steps: false,
  examples: false,
  seconds: false,
};

function quantityLabel(m: SwitchModel, q: SwitchQuantity): string {
  return {
    testAccuracy: 'final test accuracy',
    testLoss: 'final test loss',
    sharpness: m.sharpnessLabel ?? 'sharpness (not measured)',
    steps: 'optimizer steps',
    examples: 'training examples',
    seconds: 'wall time of training (s)',
  }[q];
}

function digits(q: SwitchQuantity): number {
  return q === 'testAccuracy' || q === 'testLoss' ? 4 : q === 'sharpness' ? 3 : 1;
}

/** `+0.0012 [-0.0003, +0.0027]`, or why there is no interval. */
export function intervalText(i: PairedInterval | undefined, d: number): string {
  if (!i) return 'the reference itself';
  if (i.n === 0) return '-';
  const signed = (x: number) => `${x >= 0 ? '+' : ''}${formatNumber(x, d)}`;
  if (i.low === undefined || i.high === undefined)
    return `${signed(i.mean)} (one seed: no interval)`;
  return `${signed(i.mean)} [${signed(i.low)}, ${signed(i.high)}]`;
}

/** better / worse for accuracy and loss; lower / higher for sharpness and costs. */
function reading(i: PairedInterval | undefined, q: SwitchQuantity): string {
  if (!i || i.low === undefined) return '';
  if (i.low === 0 && i.high === 0) return 'the same on every seed';
  const v = verdict(i, LARGER_IS_BETTER[q]);
  if (v !== 'better' && v !== 'worse') return 'not distinguishable';
  if (q === 'testAccuracy' || q === 'testLoss') return v;
  return (v === 'better') === LARGER_IS_BETTER[q] ? 'higher' : 'lower';
}

function meanText(values: number[], d: number): string {
  const finite = values.filter((x) => Number.isFinite(x));
  if (finite.length === 0) return '-';
  const s = spread(finite);
  return `${formatNumber(s.mean, d)} ± ${formatNumber(s.std, d)} (n = ${finite.length})`;
}

function armLabel(m: SwitchModel, a: SwitchArm): string {
  return a.name === m.config.control ? `${a.name} (small-batch control)` : a.name;
}

/** One row per arm: B, branch epochs, accuracy and steps, each against the control. */
export function overviewTable(m: SwitchModel): Table {
  const control = controlArm(m);
  const controlSteps = spread(valuesOf(control, 'steps').filter(Number.isFinite)).mean;
  return {
    head: [
      'arm',
      'final B (per seed)',
      'branch epoch (per seed)',
      'test accuracy',
      'accuracy − control [95%]',
      'accuracy − fixed switch [95%]',
      'optimizer steps',
      'steps saved against the control',
    ],
    rows: m.arms.map((a) => {
      if (a.waitsFor)
        return [
          armLabel(m, a),
          `waits for its critical-batch table ${a.waitsFor}`,
          '',
          '',
          '',
          '',
          '',
          '',
        ];
      const steps = valuesOf(a, 'steps').filter(Number.isFinite);
      const saved = steps.length ? 1 - spread(steps).mean / controlSteps : NaN;
      const reference = fixedReference(m, a);
      return [
        armLabel(m, a),
        a.outcomes.map((o) => (o ? String(o.finalBatchSize) : '-')).join(', '),
        a.outcomes.map((o) => (o ? String(o.branchEpoch) : '-')).join(', '),
        meanText(valuesOf(a, 'testAccuracy'), 4),
        intervalText(pairedAgainst(a, control, 'testAccuracy'), 4),
        `${intervalText(pairedAgainst(a, reference, 'testAccuracy'), 4)} (${reference.name})`,
        meanText(steps, 0),
        Number.isFinite(saved) ? `${(100 * saved).toFixed(1)}%` : '-',
      ];
    }),
    attributes: { id: 'switch-overview' },
  };
}

/** The table of one arm: each quantity, its spread, its paired differences. */
export function armTable(m: SwitchModel, a: SwitchArm): Table {
  const control = controlArm(m);
  const reference = fixedReference(m, a);
  return {
    head: [
      'quantity',
      'mean ± s.d. over seeds',
      'arm − control [95%]',
      '',
      `arm − fixed switch (${reference.name}) [95%]`,
      '',
    ],
    rows: SWITCH_QUANTITIES.map((q) => {
      const toControl = pairedAgainst(a, control, q);
      const toFixed = pairedAgainst(a, reference, q);
      return [
        quantityLabel(m, q),
        meanText(valuesOf(a, q), digits(q)),
        intervalText(toControl, digits(q)),
        reading(toControl, q),
        intervalText(toFixed, digits(q)),
        reading(toFixed, q),
      ];
    }),
    attributes: { id: `switch-arm-${a.name.replace('/', '-')}` },
  };
}

/** Every arm and quantity as numbers, for a program (tables/switch.csv). */
export function switchCsvTable(m: SwitchModel): Table {
  const control = controlArm(m);
  const rows = m.arms.flatMap((a) => {
    const reference = fixedReference(m, a);
    return SWITCH_QUANTITIES.map((q) => {
      const values = valuesOf(a, q).filter(Number.isFinite);
      const s = values.length ? spread(values) : undefined;
      const c = pairedAgainst(a, control, q);
      const f = pairedAgainst(a, reference, q);
      // an empty cell where there is no number (no seed, or no pair), never NaN
      const cell = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);
      return [
        a.name,
        q,
        values.length,
        cell(s?.mean),
        cell(s?.std),
        cell(c?.mean),
        cell(c?.low),
        cell(c?.high),
        reference.name,
        cell(f?.mean),
        cell(f?.low),
        cell(f?.high),
      ];
    });
  });
  return {
    head: [
      'arm',
      'quantity',
      'n',
      'mean',
      'sd',
      'minus_control',
      'minus_control_low',
      'minus_control_high',
      'fixed_switch_arm',
      'minus_fixed',
      'minus_fixed_low',
      'minus_fixed_high',
    ],
    rows,
  };
}

/** Where each arm ends: its final test loss and sharpness, each against the small-batch
 * control, paired by seed. */
export function minimumTable(m: SwitchModel): Table {
  const control = controlArm(m);
  const quantities: SwitchQuantity[] = ['testLoss', 'sharpness'];
  return {
    head: [
      'arm',
      ...quantities.flatMap((q) => [quantityLabel(m, q), `${quantityLabel(m, q)} − control [95%]`]),
    ],
    rows: m.arms
      .filter((a) => !a.waitsFor)
      .map((a) => [
        armLabel(m, a),
        ...quantities.flatMap((q) => [
          meanText(valuesOf(a, q), digits(q)),
          intervalText(pairedAgainst(a, control, q), digits(q)),
        ]),
      ]),
    attributes: { id: 'switch-minimum' },
  };
}

/** The measured critical batch size: one row per checkpoint epoch, per seed B* and B_simple. */
export function criticalTable(m: SwitchModel): Table {
  const epochs = [...new Set(m.criticalBatch.flatMap((c) => c.points.map((p) => p.epoch)))].sort(
    (a, b) => a - b,
  );
  return {
    head: [
      'epoch',
      ...m.criticalBatch.flatMap((c) => [`B* seed ${c.seed}`, `live B_simple seed ${c.seed}`]),
    ],
    rows: epochs.map((e) => [
      String(e),
      ...m.criticalBatch.flatMap((c) => {
        const p = c.points.find((x) => x.epoch === e);
        return p
          ? [
              `${p.lowerBound ? '≥ ' : ''}${p.criticalBatch}`,
              p.liveNoiseScale === undefined ? '-' : formatNumber(p.liveNoiseScale, 1),
            ]
          : ['-', '-'];
      }),
    ]),
    attributes: { id: 'switch-critical-batch' },
  };
}

export function switchSection(m: SwitchModel): Section {
  const overview = overviewTable(m);
  const blocks: Block[] = [
    {
      kind: 'paragraph',
      text: `Every arm on the same seeds (${m.config.seeds.join(', ')}), B1 = ${m.config.batchSize}. The small-batch control is ${m.config.control}; the fixed switch is the variant ${m.config.fixedSwitch} (each arm is compared with its arm of the same B2, a ramp with its largest B2). Differences are paired by seed: the mean and its 95% Student t interval; "better", "worse", "higher" or "lower" only when the interval excludes zero. Steps, examples and wall time count process 1 in full (the epochs a rule ran on to decide too) and then the arm; wall time is the training epochs' (the live noise scale's measurements included; sharpness not).`,
    },
    { kind: 'table', table: overview },
    {
      kind: 'paragraph',
      text: 'Where each arm ends: its final test loss and the sharpness of its final state, against the control.',
    },
    { kind: 'table', table: minimumTable(m) },
  ];
  for (const a of m.arms) {
    if (a.waitsFor) continue;
    blocks.push(
      { kind: 'heading', level: 3, text: armLabel(m, a) },
      { kind: 'table', table: armTable(m, a) },
    );
  }
  if (m.criticalBatch.length)
    blocks.push(
      {
        kind: 'heading',
        level: 3,
        text: `The critical batch size along process 1 of ${m.config.criticalBatch!.from}, measured by branching`,
      },
      {
        kind: 'paragraph',
        text: 'What the ramps with table: measured follow, per seed (Merrill et al.; docs/mathematics.md "The critical batch size by branching"): B* at each checkpoint (≥: the grid\'s largest, a lower bound) and the live B_simple there.',
      },
      { kind: 'table', table: criticalTable(m) },
      ...m.criticalBatch.map((c): Block => ({
        kind: 'figure',
        id: `switch-critical-batch-${c.seed}`,
        file: `switch-critical-batch-seed-${c.seed}`,
        svg: criticalBatchFigure(
          { points: c.points, batchSizes: m.config.criticalBatch!.batchSizes },
          c.noise,
          `Critical batch size by branching, and the live noise scale (seed ${c.seed})`,
        ),
        caption: `The measured critical batch size at each checkpoint of process 1 of ${m.config.criticalBatch!.from} and that process 1's live B_simple on the same axes: where they part, the noise scale does not predict the critical batch size.`,
      })),
    );
  const waiting = m.arms.filter((a) => a.waitsFor);
  if (waiting.length)
    blocks.push({
      kind: 'paragraph',
      text: `Declared but not run: ${waiting.map((a) => `${a.name} needs its critical-batch table ${a.waitsFor}`).join('; ')} (gradscope analyze critical-batch makes it; then gradscope run ... --resume).`,
    });
  const markdown = [
    tableMarkdown(overview),
    ...m.arms
      .filter((a) => !a.waitsFor)
      .map((a) => `### ${armLabel(m, a)}\n\n${tableMarkdown(armTable(m, a))}`),
  ].join('\n\n');
  return {
    kind: 'section',
    id: 'switch',
    title: 'When to switch, and to what',
    blocks,
    files: [
      { name: 'switch.md', content: markdown },
      { name: 'switch.csv', content: tableCsv(switchCsvTable(m)) },
    ],
  };
}

function headerSection(m: SwitchModel): Section {
  const blocks: Block[] = [{ kind: 'heading', level: 1, text: m.config.name }];
  if (m.config.scale === 'demo')
    blocks.push({
      kind: 'paragraph',
      text: 'DEMO SCALE: fewer epochs than the study; for a first look, not for conclusions.',
      attributes: { class: 'banner', 'data-scale': 'demo' },
    });
  blocks.push({
    kind: 'paragraph',
    text: `${m.config.network} on ${m.data}; seeds ${m.config.seeds.join(', ')}; variants ${m.config.variants.map((v) => v.name).join(', ')}; gradscope ${m.gradscope}; written ${new Date().toISOString()}`,
  });
  return { kind: 'header', blocks };
}

/**
 * The switch study's report page; with `write`, also its tables (tables/switch.md|csv) and
 * figures (figures/*.svg|png) beside it (`gradscope serve` renders without writing).
 */
export function switchReportHtml(m: SwitchModel, write = false): string {
  const section = switchSection(m);
  if (write) {
    fs.mkdirSync(tablesDir(m.runDir), { recursive: true });
    for (const f of section.files ?? []) writeFileAtomic(tableFile(m.runDir, f.name), f.content);
    for (const f of figuresOf(section.blocks)) writeFigure(figuresDir(m.runDir), f.file, f.svg);
  }
  return reportHtml(`${m.config.name}: gradscope switch study`, [
    headerSection(m),
    ...progressSections(m),
    section,
  ]);
}

/** While phases remain: each one's state and epochs (`gradscope status`), unfinished arms
 * having no outcome in the tables yet. */
function progressSections(m: SwitchModel): Section[] {
  const s = switchStudyStatus(m.runDir);
  const open = [...s.phases, ...s.criticalBatch].filter((p) => p.state !== 'done');
  if (open.length === 0) return [];
  const rows = s.phases
    .filter((p) => p.state !== 'done')
    .map((p) => [
      String(p.seed),
      `${p.variant}/${p.phase}`,
      p.waitsFor ? `${p.state}: waits for ${p.waitsFor}` : p.state,
      `${p.trained}/${p.epochs} epochs`,
    ]);
  for (const k of s.criticalBatch.filter((c) => c.state !== 'done'))
    rows.push([
      String(k.seed),
      `critical batch size (${k.from})`,
      k.state,
      `${k.branches}/${k.of} branches`,
    ]);
  const all = s.phases.length + s.criticalBatch.length;
  return [
    {
      kind: 'section',
      id: 'switch-progress',
      title: 'Progress',
      blocks: [
        {
          kind: 'paragraph',
          text: `${all - open.length} of ${all} phases done; the tables below leave out every arm and seed not finished (-).`,
        },
        {
          kind: 'table',
          table: { head: ['seed', 'phase', 'state', 'trained'], rows },
        },
      ],
    },
  ];
}

/**
 * report.html, report.json, tables/switch.md|csv and the figures of a switch study, from its
 * files.
 *
 * @example
 * ```ts
 * import { writeSwitchReport } from 'gradscope';
 * const { file, model } = writeSwitchReport('runs/switch-demo');
 * console.log(file, model.arms.map((a) => a.name));
 * ```
 */
export function writeSwitchReport(runDir: string): { file: string; model: SwitchModel } {
  const m = switchModel(runDir);
  const html = switchReportHtml(m, true);
  writeReportJson(runDir, m);
  const file = reportHtmlFile(runDir);
  writeFileAtomic(file, html);
  return { file, model: m };
}
