/**
 * The check of docs/results/: each committed page's numbers, in order, must equal those of the
 * page regenerated from the report.json and results.json it cites (results-page.ts), so that
 * no number on a page was typed or left stale by hand; and every file a page links must exist.
 * The README's results block (readme-results.ts) is checked the same way, and must equal its
 * regeneration whole.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GradscopeFileError } from '../core/errors';
import { readTextFile } from '../core/regular-file';
import { resultsPageFile, resultsPageNames } from '../store/results-paths';
import { readmeBlock, readmeResults } from './readme-results';
import { resultsPage } from './results-page';

export interface ResultsCheck {
  /** The pages checked, by name. */
  pages: string[];
  /** One line per problem: the page, its line, what is wrong. */
  problems: string[];
}

const NUMBER = /[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?/gi;

/** The numbers of a page, line by line; those in a link's target or an image's text (file
 * names such as line-seed-0-arm-256.svg) are the link check's, not numbers of the study. */
function numbers(text: string): { value: string; line: number }[] {
  const out: { value: string; line: number }[] = [];
  text.split('\n').forEach((l, i) => {
    const prose = l.replace(/!\[[^\]]*\]\([^)]*\)/g, '').replace(/\]\([^)]*\)/g, ']');
    for (const m of prose.matchAll(NUMBER)) out.push({ value: m[0], line: i + 1 });
  });
  return out;
}

/**
 * The first place where the committed page's numbers leave those its files give.
 *
 * @example
 * ```ts
 * numberProblem('a.md', 'mean 0.98', 'mean 0.97'); // "a.md:1: 0.98 where its report gives 0.97"
 * ```
 */
export function numberProblem(
  file: string,
  committed: string,
  regenerated: string,
): string | undefined {
  const got = numbers(committed);
  const want = numbers(regenerated);
  for (let i = 0; i < Math.max(got.length, want.length); i++) {
    const g = got[i];
    const w = want[i];
    if (g?.value === w?.value) continue;
    if (!g) return `${file}: ends where its report gives ${w!.value} (line ${w!.line} regenerated)`;
    if (!w) return `${file}:${g.line}: ${g.value} is more than its report gives`;
    return `${file}:${g.line}: ${g.value} where its report gives ${w.value}`;
  }
  return undefined;
}

/**
 * The link targets of a Markdown page that are files beside it (not web addresses or anchors).
 *
 * @example
 * ```ts
 * linkedFiles('![a](f/a.svg) [b](https://x.org) [c](#c)'); // ['f/a.svg']
 * ```
 */
export function linkedFiles(text: string): string[] {
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'))
    .map((t) => decodeURIComponent(t.split('#')[0]!));
}

/**
 * Checks every page of `root` (docs/results).
 *
 * @example
 * ```ts
 * const { pages, problems } = checkResultsPages('docs/results');
 * for (const p of problems) console.error(p);
 * ```
 */
export function checkResultsPages(root: string): ResultsCheck {
  const pages = fs.existsSync(root) ? resultsPageNames(fs.readdirSync(root)) : [];
  const problems: string[] = [];
  for (const name of pages) {
    const file = resultsPageFile(root, name);
    const committed = readTextFile(file, 16 * 1024 * 1024);
    let regenerated: string;
    try {
      regenerated = resultsPage(root, name);
    } catch (error) {
      problems.push(
        `${file}: cannot be regenerated: ${error instanceof Error ? error.message : error}`,
      );
      continue;
    }
    const problem = numberProblem(file, committed, regenerated);
    if (problem) problems.push(problem);
    for (const target of linkedFiles(committed))
      if (!fs.existsSync(path.join(path.dirname(file), target)))
        problems.push(`${file}: links ${target}, which does not exist`);
  }
  return { pages, problems };
}

/**
 * Checks the results block of `readmeFile` (README.md) against the one `root`'s published
 * pages give (readme-results.ts): the committed block must equal the regenerated one, and every
 * file it links must exist. One line per problem.
 *
 * @example
 * ```ts
 * for (const p of checkReadmeResults('README.md', 'docs/results')) console.error(p);
 * ```
 */
export function checkReadmeResults(readmeFile: string, root: string): string[] {
  const text = readTextFile(readmeFile, 16 * 1024 * 1024);
  let committed: string;
  let regenerated: string;
  try {
    committed = readmeBlock(text, readmeFile);
    const pages = fs.existsSync(root) ? resultsPageNames(fs.readdirSync(root)) : [];
    regenerated = readmeResults(root, pages, path.dirname(readmeFile));
  } catch (error) {
    if (error instanceof GradscopeFileError) return [error.message];
    return [`${readmeFile}: ${error instanceof Error ? error.message : error}`];
  }
  const problems: string[] = [];
  // the block's lines counted from the file's first, so a number's line is the README's
  const before = '\n'.repeat(text.slice(0, text.indexOf(committed)).split('\n').length - 1);
  if (committed !== regenerated)
    problems.push(
      numberProblem(readmeFile, before + committed, before + regenerated) ??
        `${readmeFile}: its results block differs from the one ${root} gives (regenerate it: node scripts/results.js readme)`,
    );
  for (const target of linkedFiles(committed))
    if (!fs.existsSync(path.join(path.dirname(readmeFile), target)))
      problems.push(`${readmeFile}: links ${target}, which does not exist`);
  return problems;
}
