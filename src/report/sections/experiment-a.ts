/** Experiment A: per line between two solutions its figure and CSV, and a table of where
 * the test loss is lowest. */
import { formatNumber, formatPercent } from '../format-number';
import { lineCsv, lineFigure } from '../line-figures';
import type { Block, Section, TableFile } from '../section';
import type { StudyModel } from '../study-model';
import { pendingHtml, type StudyPending } from '../study-progress';
import type { TableCell } from '../table';
import { perplexity, quantityLabels } from '../quantity-labels';

export function experimentASection(m: StudyModel, pending: StudyPending): Section {
  const words = quantityLabels(m.tokens);
  const blocks: Block[] = [{ kind: 'html', html: pendingHtml(pending, 'lines') }];
  if (m.lines.length === 0) blocks.push({ kind: 'paragraph', text: 'No lines yet.' });
  const files: TableFile[] = [];
  const rows: TableCell[][] = [];
  for (const l of m.lines) {
    const name = `line-seed-${l.seed}-${l.from}-${l.to}`;
    files.push({ name: `${name}.csv`, content: lineCsv(l) });
    blocks.push({
      kind: 'figure',
      id: name,
      file: name,
      svg: lineFigure(
        l,
        `seed ${l.seed}: w_a = ${l.from}, w_b = ${l.to} (batch norm ${l.bn})`,
        words,
      ),
      caption: `w(α) = (1 − α) w_a + α w_b; train solid, test dashed.`,
    });
    rows.push([
      String(l.seed),
      l.from,
      l.to,
      l.bn,
      l.best ? formatNumber(l.best.alpha, 3) : '-',
      l.best ? formatNumber(l.best.testLoss) : '-',
      ...(words.perplexity ? [l.best ? formatNumber(perplexity(l.best.testLoss)) : '-'] : []),
      l.best ? formatPercent(l.best.testAccuracy) : '-',
      String(l.points.filter((p) => !p.test).length),
    ]);
  }
  if (rows.length)
    blocks.push({
      kind: 'table',
      table: {
        head: [
          'seed',
          'w_a',
          'w_b',
          'batch norm',
          `α of lowest test ${words.loss}`,
          `its test ${words.loss}`,
          ...(words.perplexity ? ['its test perplexity'] : []),
          `its test ${words.accuracy}`,
          'undefined points',
        ],
        rows,
      },
    });
  return {
    kind: 'section',
    id: 'experiment-a',
    title: 'Experiment A: the loss along the line between two solutions',
    blocks,
    files,
  };
}
