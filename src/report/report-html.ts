/**
 * report.html from the report's model (section.ts): one self-contained page, inline CSS, each
 * figure live (interactive.ts) with its static SVG inside, no network.
 */
import { escapeHtml } from './escape-html';
import { interactiveFigure, interactiveScripts } from './interactive';
import { isSection, type Block, type ReportPart, type Section } from './section';
import { htmlAttributes, tableHtml } from './table';

const STYLE = `body { font-family: 'DejaVu Sans', system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
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
.pending { color: #8a6d00; font-style: italic; }`;

/** One block as HTML. */
export function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`;
    case 'paragraph':
      return `<p${htmlAttributes(b.attributes)}>${escapeHtml(b.text)}</p>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join('')}</ul>`;
    case 'table':
      return tableHtml(b.table);
    case 'figure':
      return `<figure data-figure="${escapeHtml(b.id)}">${interactiveFigure(b.svg)}<figcaption>${escapeHtml(b.caption)}</figcaption></figure>`;
    case 'details':
      return `<details><summary>${escapeHtml(b.summary)}</summary>${b.blocks.map(blockHtml).join('')}</details>`;
    case 'code':
      return `<pre>${escapeHtml(b.text)}</pre>`;
    case 'html':
      return b.html;
  }
}

function sectionHtml(s: Section): string {
  const blocks = s.blocks.map(blockHtml).join('\n');
  if (s.kind === 'header') return `<header>${blocks}</header>`;
  const title = s.title === undefined ? '' : `<h2>${escapeHtml(s.title)}</h2>`;
  return `<section${htmlAttributes(s.id === undefined ? {} : { id: s.id })}>${title}\n${blocks}\n</section>`;
}

/** The whole page: its title, then each part in order, then the figures' scripts. */
export function reportHtml(title: string, parts: ReportPart[]): string {
  const body = parts.map((p) => (isSection(p) ? sectionHtml(p) : blockHtml(p))).join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
${STYLE}
</style></head><body>
${body}
${interactiveScripts()}
</body></html>
`;
}
