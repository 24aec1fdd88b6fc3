#!/usr/bin/env node
// The published results' tools (scripts/results.sh calls them; docs/results/README.md):
//   node scripts/results.js page NAME [--root DIR]             writes DIR/NAME.md (DIR: docs/results)
//   node scripts/results.js check [--root DIR]                 checks every page's numbers and links
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
  if (command === 'page' && rest.length === 1) {
    const { writeResultsPage } = require(path.join(dist, 'report', 'results-page.js'));
    console.log(writeResultsPage(root, rest[0]));
    return 0;
  }
  if (command === 'check' && rest.length === 0) {
    const { checkResultsPages } = require(path.join(dist, 'report', 'results-check.js'));
    const { pages, problems } = checkResultsPages(root);
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
    'usage: node scripts/results.js page NAME [--root DIR] | check [--root DIR] | keskar-report SCRATCH FILE SETTINGS_JSON\n',
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
