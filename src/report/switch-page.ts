/**
 * The published page of a switch study (docs/results/switch-*.md, issue 31): what its report
 * says of when to leave the small batch and for what, every number from switch-*\/report.json
 * (the switch study's model, src/report/switch-table.ts) through the report's own tables: each
 * arm's accuracy and optimizer steps against the small-batch control and the fixed switch,
 * paired by seed with 95% Student t intervals, and the critical batch size measured by branching
 * beside the live B_simple.
 */
import { GradscopeFileError } from '../core/errors';
import { field } from './published-study';
import { criticalTable, minimumTable, overviewTable } from './switch-report';
import type { SwitchArm, SwitchModel, SwitchOutcome } from './switch-table';
import { tableMarkdown } from './table';

const OUTCOME_NUMBERS = ['testAccuracy', 'testLoss', 'steps', 'examples', 'seconds'] as const;

/** One seed's outcome as report.json holds it (null: not finished; sharpness null: NaN). */
function checkOutcome(o: unknown, at: string, file: string): SwitchOutcome | undefined {
  if (o === null) return undefined;
  for (const q of [...OUTCOME_NUMBERS, 'finalBatchSize', 'branchEpoch'])
    field(o, q, 'number', `${file} (${at})`);
  const sharpness = (o as { sharpness?: unknown }).sharpness;
  if (sharpness !== null && typeof sharpness !== 'number')
    throw new GradscopeFileError(file, `${at}.sharpness: expected a number or null`);
  return { ...(o as SwitchOutcome), sharpness: sharpness ?? NaN };
}

/**
 * A switch study's report.json as the page reads it: every field the page prints checked to be
 * there (one line naming the file otherwise), JSON's nulls back to "not finished" and NaN.
 *
 * @example
 * ```ts
 * const m = checkSwitchReport(JSON.parse(text), 'docs/results/switch-f1/report.json');
 * console.log(m.arms.length);
 * ```
 */
export function checkSwitchReport(report: unknown, file: string): SwitchModel {
  for (const at of ['config.name', 'config.control', 'config.fixedSwitch', 'data', 'gradscope'])
    field(report, at, 'string', file);
  for (const at of ['config.seeds', 'config.variants', 'arms', 'criticalBatch'])
    field(report, at, 'array', file);
  field(report, 'trainSize', 'number', file);
  const r = report as SwitchModel & { arms: unknown[] };
  const arms = r.arms.map((a, i): SwitchArm => {
    for (const at of ['variant', 'phase', 'name']) field(a, at, 'string', `${file} (arms.${i})`);
    const outcomes = field(a, 'outcomes', 'array', `${file} (arms.${i})`) as unknown[];
    return {
      ...(a as SwitchArm),
      outcomes: outcomes.map((o, s) => checkOutcome(o, `arms.${i}.outcomes.${s}`, file)),
    };
  });
  r.criticalBatch.forEach((c, i) => {
    field(c, 'seed', 'number', `${file} (criticalBatch.${i})`);
    const points = field(c, 'points', 'array', `${file} (criticalBatch.${i})`) as unknown[];
    points.forEach((p, j) => {
      for (const at of ['epoch', 'criticalBatch'])
        field(p, at, 'number', `${file} (criticalBatch.${i}.points.${j})`);
    });
  });
  if (!arms.some((a) => a.name === r.config.control))
    throw new GradscopeFileError(file, `config.control: no arm named ${r.config.control}`);
  if (!arms.some((a) => a.variant === r.config.fixedSwitch && a.batchSize))
    throw new GradscopeFileError(file, `config.fixedSwitch: no arm of ${r.config.fixedSwitch}`);
  return { ...r, arms, sharpnessLabel: r.sharpnessLabel ?? undefined };
}

/**
 * The page: its title, the `generated` note, provenance, the overview table, the critical batch
 * size per checkpoint, and the figures (`figures`: the files under <name>/figures it shows).
 *
 * @example
 * ```ts
 * const { report, metadata } = readPublishedStudy('docs/results', 'switch-f1', checkSwitchReport);
 * const markdown = switchPage('switch-f1', report, '<!-- generated -->', provenance(metadata), []);
 * ```
 */
export function switchPage(
  name: string,
  m: SwitchModel,
  generated: string,
  provenanceLine: string,
  figures: string[],
): string {
  const seeds = m.config.seeds.length;
  const lines = [
    `# ${m.config.name}: when to leave the small batch, and for what batch size`,
    '',
    generated,
    '',
    provenanceLine,
    '',
    `${m.config.network} on ${m.data}, ${seeds} seed${seeds === 1 ? '' : 's'} (${m.config.seeds.join(', ')}), every arm on the same seeds. ` +
      `Each arm is compared with the small-batch control (${m.config.control}) and with the fixed switch (${m.config.fixedSwitch}: its arm of the same B2, or its largest), ` +
      'paired by seed: mean difference and 95% Student t interval. Steps count process 1 in full and then the arm. ' +
      `The full report: [report.json](${name}/report.json), [every quantity of every arm](${name}/switch.md).`,
    '',
    tableMarkdown(overviewTable(m)),
    '',
    '## Where each arm ends',
    '',
    'The final test loss and the sharpness of the final state, against the small-batch control, paired by seed.',
    '',
    tableMarkdown(minimumTable(m)),
  ];
  if (m.criticalBatch.length)
    lines.push(
      '',
      `## The critical batch size along process 1 of ${m.config.criticalBatch?.from ?? 'the fixed switch'}`,
      '',
      "Merrill et al.'s critical batch size B* measured by branching at each checkpoint (≥: the grid's largest, a lower bound), beside the live B_simple there.",
      '',
      tableMarkdown(criticalTable(m)),
    );
  if (figures.length)
    lines.push(
      '',
      '## Figures',
      '',
      ...figures.flatMap((f) => [`![${f.replace(/\.svg$/, '')}](${name}/figures/${f})`, '']),
    );
  return lines.join('\n');
}
