#!/usr/bin/env node
// The published results' tools (scripts/results.sh calls them; docs/results/README.md):
//   node scripts/results.js page NAME [--root DIR]             writes DIR/NAME.md (DIR: docs/results)
//   node scripts/results.js readme [--root DIR] [--readme FILE]
//                                                              writes FILE's results block (FILE: README.md)
//   node scripts/results.js check [--root DIR] [--readme FILE] checks every page's numbers and links,
//                                                              and FILE's results block (with the default
//                                                              root or an explicit --readme)
//   node scripts/results.js keskar-report SCRATCH FILE SETTINGS_JSON
//                                                              report.json of Keskar's runs in SCRATCH
// Input errors: one line on stderr, exit 2.
'use strict';
const path = require('path');
const dist = path.join(__dirname, '..', 'dist', 'src');

function main(argv) {
  const [command, ...rest] = argv;
  const rootAt = rest.indexOf('--root');
  const root = rootAt >= 0 ? rest.splice(rootAt, 2)[1] : path.join(__dirname, '..', 'docs', 'results');
  const readmeAt = rest.indexOf('--readme');
  const readme =
    readmeAt >= 0
      ? rest.splice(readmeAt, 2)[1]
      : rootAt >= 0
        ? undefined
        : path.join(__dirname, '..', 'README.md');
  if (command === 'readme' && rest.length === 0) {
    const fs = require('fs');
    const { readmeResults, withReadmeResults } = require(path.join(dist, 'report', 'readme-results.js'));
    const { resultsPageNames } = require(path.join(dist, 'store', 'results-paths.js'));
    const { writeFileAtomic } = require(path.join(dist, 'core', 'atomic-write.js'));
    const { readTextFile } = require(path.join(dist, 'core', 'regular-file.js'));
    if (!readme) throw new (require(path.join(dist, 'core', 'errors.js')).GradscopeInputError)('readme: with --root, say which README with --readme FILE');
    const pages = fs.existsSync(root) ? resultsPageNames(fs.readdirSync(root)) : [];
    const text = readTextFile(readme, 16 * 1024 * 1024);
    writeFileAtomic(readme, withReadmeResults(text, readmeResults(root, pages, path.dirname(readme)), readme));
    console.log(`${readme}: results block of ${pages.length} page(s) written`);
    return 0;
  }
  if (command === 'page' && rest.length === 1) {
    const { writeResultsPage } = require(path.join(dist, 'report', 'results-page.js'));
    console.log(writeResultsPage(root, rest[0]));
    return 0;
  }
  if (command === 'check' && rest.length === 0) {
    const { checkResultsPages } = require(path.join(dist, 'report', 'results-check.js'));
    const { pages, problems } = checkResultsPages(root);
    if (readme) {
      const { checkReadmeResults } = require(path.join(dist, 'report', 'results-check.js'));
      problems.push(...checkReadmeResults(readme, root));
    }
    for (const p of problems) console.error(p);
    if (pages.length === 0) console.log(`${root}: no result pages yet: nothing to check`);
    else console.log(`${pages.length} page(s) checked: ${pages.join(', ')}; ${problems.length} problem(s)`);
    return problems.length ? 1 : 0;
  }
  if (command === 'keskar-report' && rest.length === 3) {
    const { keskarReport } = require(path.join(dist, 'report', 'keskar-report.js'));
    const { writeFileAtomic } = require(path.join(dist, 'core', 'atomic-write.js'));
    let settings;
    try {
      settings = JSON.parse(rest[2]);
    } catch {
      throw new (require(path.join(dist, 'core', 'errors.js')).GradscopeInputError)(
        'keskar-report: SETTINGS_JSON is not valid JSON',
      );
    }
    writeFileAtomic(rest[1], JSON.stringify(keskarReport(rest[0], settings), null, 1) + '\n');
    return 0;
  }
  process.stderr.write(
    'usage: node scripts/results.js page NAME [--root DIR] | readme [--root DIR] [--readme FILE] | check [--root DIR] [--readme FILE] | keskar-report SCRATCH FILE SETTINGS_JSON\n',
  );
  return 2;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  const { GradscopeFileError, GradscopeInputError } = require(path.join(dist, 'core', 'errors.js'));
  if (error instanceof GradscopeFileError || error instanceof GradscopeInputError) {
    process.stderr.write(`${error.message}\n`);
    process.exitCode = 2;
  } else throw error;
}
