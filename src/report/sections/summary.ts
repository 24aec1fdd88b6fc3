/**
 * The summary: final loss and accuracy per arm (mean and spread over seeds), where process 2
 * branched, and the conclusions with their 95% intervals (also tables/conclusions.md).
 */
import { conclusionSentence, studyConclusions } from '../conclusions';
import { formatNumber, formatPercent } from '../format-number';
import { perplexity, quantityLabels } from '../quantity-labels';
import type { Block, Section, TableFile } from '../section';
import type { Spread, StudyModel } from '../study-model';
import type { TableCell } from '../table';

/** Mean (± standard deviation over seeds, when there are several), with the mean in full
 * for the tests and scripts that read the page. */
function spreadCell(s: Spread, percent: boolean, key: string): TableCell {
  const f = percent ? formatPercent : (x: number) => formatNumber(x);
  return {
    text: s.values.length > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean),
    attributes: { 'data-metric': key, 'data-value': s.mean },
  };
}

function branchPoints(m: StudyModel, accuracy: string): string | undefined {
  const branches = m.statuses.filter((r) => r.phase === 'process1' && r.status === 'branched');
  if (branches.length === 0) return undefined;
  const where = branches.map((b) => {
    const epoch = b.branchEpoch ?? b.epoch;
    const at = m.epochs.find(
      (e) => e.seed === b.seed && e.phase === 'process1' && e.epoch === epoch,
    );
    const converged = m.statuses.find(
      (r) => r.seed === b.seed && r.phase === 'process1' && r.status === 'converged',
    );
    return `seed ${b.seed}: epoch ${epoch}${at ? `, test ${accuracy} ${formatPercent(at.testAccuracy)}` : ''}; ${converged ? converged.message : b.message}`;
  });
  return `Where process 2 branched: ${where.join('; ')}.`;
}

/** The perplexity of each seed's final test loss per token, as a spread over seeds. */
function perplexityCell(s: Spread): TableCell {
  const values = s.values.map(perplexity);
  const mean = values.reduce((a, v) => a + v, 0) / values.length;
  const std =
    values.length > 1
      ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1))
      : 0;
  return spreadCell({ mean, std, values }, false, 'testPerplexity');
}

export function summarySection(m: StudyModel): Section {
  const words = quantityLabels(m.tokens);
  const blocks: Block[] = [
    {
      kind: 'table',
      table: {
        head: [
          'phase',
          'epoch',
          'status',
          `train ${words.loss}`,
          `train ${words.accuracy}`,
          `test ${words.loss}`,
          ...(words.perplexity ? ['test perplexity'] : []),
          `test ${words.accuracy}`,
        ],
        rows: m.summary.map((r) => [
          { text: r.label, attributes: { 'data-phase': r.phase } },
          String(r.epoch),
          r.status,
          spreadCell(r.trainLoss, false, 'trainLoss'),
          spreadCell(r.trainAccuracy, true, 'trainAccuracy'),
          spreadCell(r.testLoss, false, 'testLoss'),
          ...(words.perplexity ? [perplexityCell(r.testLoss)] : []),
          spreadCell(r.testAccuracy, true, 'testAccuracy'),
        ]),
        attributes: { id: 'summary-table' },
      },
    },
  ];
  const branched = branchPoints(m, words.accuracy);
  if (branched)
    blocks.push({ kind: 'paragraph', text: branched, attributes: { id: 'branch-points' } });
  const files: TableFile[] = [];
  const conclusions = studyConclusions(m);
  if (conclusions.length > 0) {
    const sentence = (c: (typeof conclusions)[number]) =>
      conclusionSentence(c, (x) => formatNumber(x));
    blocks.push(
      { kind: 'heading', level: 3, text: 'Conclusions, with their spread over seeds' },
      {
        kind: 'paragraph',
        text: 'Each piggybacked arm against the small-batch control, paired by seed: the mean difference and its 95% Student t interval; "better" or "worse" only when the interval excludes zero.',
      },
      {
        kind: 'table',
        table: {
          head: ['comparison', 'quantity', 'mean', '95% interval', 'seeds', 'reading'],
          rows: conclusions.map((c) => [
            c.subject,
            c.quantity,
            formatNumber(c.interval.mean),
            c.interval.low === undefined
              ? '-'
              : `${formatNumber(c.interval.low)} to ${formatNumber(c.interval.high!)}`,
            String(c.interval.n),
            { text: c.reading, attributes: { 'data-reading': c.reading } },
          ]),
          attributes: { id: 'conclusions-table' },
        },
      },
      { kind: 'list', items: conclusions.map(sentence) },
    );
    files.push({
      name: 'conclusions.md',
      content: conclusions.map((c) => `- ${sentence(c)}`).join('\n') + '\n',
    });
  }
  if (words.perplexity)
    blocks.splice(1, 0, {
      kind: 'paragraph',
      text: 'A language model: loss is the mean next-token cross-entropy per token (natural log), perplexity its exponential, accuracy the fraction of next tokens predicted.',
    });
  return {
    kind: 'section',
    id: 'summary',
    title: `Final ${words.loss} and ${words.accuracy} per arm`,
    blocks,
    files,
  };
}
