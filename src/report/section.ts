/**
 * The report's model, section by section: each section of report.html is a list of blocks
 * (headings, paragraphs, tables, figures, ...) that a section builder (sections/*.ts) makes
 * from the study model and report-html.ts renders; the tables and figures it names are also
 * written as files (tables/, figures/).
 */
import type { Attributes, Table } from './table';

/** One piece of a section. */
export type Block =
  | { kind: 'heading'; level: 1 | 3 | 4; text: string }
  | { kind: 'paragraph'; text: string; attributes?: Attributes }
  | { kind: 'list'; items: string[] }
  | { kind: 'table'; table: Table }
  /** A figure: `id` in the page, `file` its name in figures/ (SVG and PNG). */
  | { kind: 'figure'; id: string; file: string; svg: string; caption: string }
  /** Folded content under a one-line summary. */
  | { kind: 'details'; summary: string; blocks: Block[] }
  /** Preformatted text (the config). */
  | { kind: 'code'; text: string }
  /** HTML made elsewhere (the run's banners and its "to come" notes). */
  | { kind: 'html'; html: string };

/** A file of tables/: its name there and its content. */
export interface TableFile {
  name: string;
  content: string;
}

/** A section of the page (`<section id>` under its title), or the page's `<header>`. */
export interface Section {
  kind: 'section' | 'header';
  /** The section's id (report.html's tests and links find it by that). */
  id?: string;
  title?: string;
  blocks: Block[];
  /** The files of tables/ this section writes. */
  files?: TableFile[];
}

/** A part of the page: a section, or a block between sections. */
export type ReportPart = Section | Block;

/** Whether a part of the page is a section (or the header) rather than a block. */
export function isSection(p: ReportPart): p is Section {
  return p.kind === 'section' || p.kind === 'header';
}

/** The figures of some blocks, those folded in details too. */
export function figuresOf(blocks: Block[]): Extract<Block, { kind: 'figure' }>[] {
  return blocks.flatMap((b) =>
    b.kind === 'figure' ? [b] : b.kind === 'details' ? figuresOf(b.blocks) : [],
  );
}
