/**
 * The report's table model, and its three renderings: HTML (report.html), Markdown
 * (tables/*.md, the analyze commands' output) and CSV (tables/*.csv). A section builds the
 * table once, with its numbers already formatted (format-number.ts) where a person reads
 * them, or as numbers where a program does (CSV keeps every digit).
 */
import { escapeHtml } from './escape-html';

/** A column's alignment; `default` leaves it to the page (report.html: right, the first left). */
export type Alignment = 'default' | 'left' | 'right';

/** HTML attributes, in order: `{ id: 'summary-table' }`, `{ 'data-seed': 0 }`. */
export type Attributes = Record<string, string | number>;

/**
 * One cell: text as shown; a number (written in full: `String(x)`); null for a figure that
 * is not there ("-", or an empty CSV field); or text with HTML attributes on its `<td>`.
 */
export type TableCell = string | number | null | { text: string; attributes: Attributes };

/** A table: its header, its rows, how each column aligns, and the notes that go with it. */
export interface Table {
  head: string[];
  rows: TableCell[][];
  /** Per column; a missing one is `default`. */
  align?: Alignment[];
  /** Sentences printed after the table. */
  notes?: string[];
  /** The HTML attributes of `<table>` (report.html's tests and scripts find tables by them). */
  attributes?: Attributes;
}

/** ` name="value"` for each attribute. */
export function htmlAttributes(attributes: Attributes | undefined): string {
  return Object.entries(attributes ?? {})
    .map(([name, v]) => ` ${name}="${escapeHtml(String(v))}"`)
    .join('');
}

function cellText(cell: TableCell): string {
  if (cell === null) return '-';
  if (typeof cell === 'object') return cell.text;
  return String(cell);
}

function alignAttribute(t: Table, column: number): string {
  const a = t.align?.[column] ?? 'default';
  return a === 'default' ? '' : ` style="text-align: ${a}"`;
}

/** `<table>` with a header row and a body, then each note as a paragraph. */
export function tableHtml(t: Table): string {
  const head = t.head.map((h, j) => `<th${alignAttribute(t, j)}>${escapeHtml(h)}</th>`).join('');
  const body = t.rows
    .map(
      (row) =>
        `<tr>${row
          .map((cell, j) => {
            const attributes = cell !== null && typeof cell === 'object' ? cell.attributes : {};
            return `<td${htmlAttributes(attributes)}${alignAttribute(t, j)}>${escapeHtml(cellText(cell))}</td>`;
          })
          .join('')}</tr>`,
    )
    .join('');
  const notes = (t.notes ?? []).map((n) => `<p>${escapeHtml(n)}</p>`).join('');
  return `<table${htmlAttributes(t.attributes)}><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>${notes}`;
}

/** A Markdown cell: "|" escaped, on one line. */
const markdownCell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

const MARKDOWN_RULE: Record<Alignment, string> = { default: '---', left: ':---', right: '---:' };

/** A pipe table (GitHub's Markdown), then each note as a paragraph; no final newline. */
export function tableMarkdown(t: Table): string {
  const line = (cells: string[]) => `| ${cells.map(markdownCell).join(' | ')} |`;
  const lines = [
    line(t.head),
    `| ${t.head.map((_, j) => MARKDOWN_RULE[t.align?.[j] ?? 'default']).join(' | ')} |`,
    ...t.rows.map((row) => line(row.map(cellText))),
  ];
  for (const note of t.notes ?? []) lines.push('', note);
  return lines.join('\n');
}

/** A CSV field of the header: quoted only when it must be. */
const csvName = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/** A CSV field of the body: text always quoted (a bin "[0, 0.5)" holds a comma), a number in
 * full, null empty. */
function csvField(cell: TableCell): string {
  if (cell === null) return '';
  if (typeof cell === 'number') return String(cell);
  const text = typeof cell === 'string' ? cell : cell.text;
  return `"${text.replace(/"/g, '""')}"`;
}

/** CSV (RFC 4180), one line per row, ending with a newline; notes and alignment are not part
 * of it. */
export function tableCsv(t: Table): string {
  const lines = [t.head.map(csvName).join(','), ...t.rows.map((r) => r.map(csvField).join(','))];
  return lines.join('\n') + '\n';
}
