/**
 * Every value written into a shell script, a `#SBATCH` directive or generated Python goes
 * through one helper per language (issue 27, items 3 and 4). Hostile names (a newline, single
 * and double quotes, `$()`, backticks, spaces, docstring terminators, backslashes) come back
 * intact from bash, from a parser of sbatch's directive rules and from Python; the issue's two
 * exploits (a newline in --out that put a shell line into the Slurm job script; a network name
 * that closed the exported module's docstring and ran os.system on import) are replayed.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { GradscopeInputError } from '../../src/core/errors';
import { pythonString, shellQuote, slurmDirective } from '../../src/core/quote';
import { gradscope } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { mnistNetwork } from '../fixtures/networks';

const demo = path.join(__dirname, '..', '..', '..', 'configs', 'demo.yaml');
const python = '/usr/bin/python3';

const HOSTILE = [
  'plain',
  '',
  'two words',
  "it's",
  'say "hi"',
  'a\nb',
  'cr\rlf',
  'tab\there',
  '$(touch PWNED-dollar)',
  '`touch PWNED-tick`',
  '"""',
  "'''",
  'back\\slash\\',
  '\\n is not a newline',
  '#not a comment',
  '100%',
  'ünï € 𝄞',
  '!$HOME ${x} * ? [a] ~ ; & | < > ( ) { }',
];

test('shellQuote: bash reads every hostile value back as one word, intact', () => {
  const dir = tempDir('gradscope-quote-sh-');
  const script = `printf '%s\\0' ${HOSTILE.map(shellQuote).join(' ')}\n`;
  for (const value of HOSTILE) assert.ok(!shellQuote(value).includes('\n'), 'one line');
  const r = spawnSync('bash', ['-c', script], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.split('\0').slice(0, -1), HOSTILE);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing ran');
});

/**
 * The arguments of one `#SBATCH` line as sbatch reads them (src/sbatch/opt.c, _get_argument):
 * whitespace separates; single or double quotes group; a backslash takes the next character
 * as it is; an unquoted `#` ends the line.
 */
function sbatchArguments(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i]!)) i++;
    if (i >= line.length || line[i] === '#') break;
    let arg = '';
    let quote = '';
    while (i < line.length && (quote !== '' || !/\s/.test(line[i]!))) {
      const c = line[i]!;
      if (c === '\\') {
        arg += line[i + 1] ?? '';
        i += 2;
        continue;
      }
      if (quote !== '') {
        if (c === quote) quote = '';
        else arg += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (c === '#') return [...args, arg];
      else arg += c;
      i++;
    }
    args.push(arg);
  }
  return args;
}

test('slurmDirective: sbatch reads every hostile value back intact; a control character is refused', () => {
  for (const value of HOSTILE) {
    if (/[\n\r\t]/.test(value)) {
      assert.throws(
        () => slurmDirective('--comment', value, '--slurm-option'),
        (e: unknown) =>
          e instanceof GradscopeInputError &&
          e.message.includes('--slurm-option') &&
          !e.message.includes('\n'),
      );
      continue;
    }
    const directive = slurmDirective('--comment', value);
    assert.deepEqual(sbatchArguments(directive), [`--comment=${value}`], directive);
  }
});

test('pythonString: Python reads every hostile value back intact, as a string and as a docstring', () => {
  const file = path.join(tempDir('gradscope-quote-py-'), 'values.py');
  const literals = HOSTILE.flatMap((v) => [pythonString(v), pythonString(v, { docstring: true })]);
  fs.writeFileSync(
    file,
    `import sys\nvalues = [\n${literals.map((l) => `    ${l},\n`).join('')}]\n` +
      `sys.stdout.buffer.write("\\0".join(values).encode("utf-8"))\n`,
  );
  const r = spawnSync(python, [file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(
    r.stdout.split('\0'),
    HOSTILE.flatMap((v) => [v, v]),
  );
});

test('the exploit: a newline in --out cannot put a shell line into a Slurm job script', () => {
  const dir = tempDir('gradscope-quote-exploit-');
  const out = path.join(dir, `n\ntouch ${path.join(dir, 'PWNED')} #`);
  const r = gradscope('run', demo, '--executor', 'slurm', '--dry-run', '--out', out);
  assert.equal(r.status, 2, r.stderr);
  assert.equal(r.stderr.split('\n').length, 2, `one line: ${r.stderr}`);
  assert.match(r.stderr, /--out/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
  const slash = gradscope(
    ...['run', demo, '--executor', 'slurm', '--dry-run'],
    '--out',
    `${dir}/a\\b`,
  );
  assert.equal(slash.status, 2, slash.stderr);
  assert.match(slash.stderr, /backslash.*--out/);
  assert.deepEqual(fs.readdirSync(dir), [], 'nothing written');
});

test('a hostile --out: every job script and submit.sh run with the values intact', () => {
  const dir = tempDir('gradscope-quote-slurm-');
  const out = path.join(dir, `a b'c"d$(touch PWNED1)\`touch PWNED2\`%e#f"""'''`);
  const dry = gradscope(
    ...['run', demo, '--executor', 'slurm', '--dry-run', '--out', out],
    ...['--slurm-option=--comment=two words #x', '--threads', '2'],
  );
  assert.equal(dry.status, 0, dry.stderr);
  const slurm = path.join(out, 'slurm');
  const scripts = fs.readdirSync(slurm).filter((f) => f.endsWith('.sbatch'));
  assert.ok(scripts.length > 3, `${scripts.length} job scripts`);
  for (const name of scripts) {
    const piece = name.slice(0, -'.sbatch'.length);
    const text = fs.readFileSync(path.join(slurm, name), 'utf8');
    assert.equal(spawnSync('bash', ['-n', path.join(slurm, name)]).status, 0, name);
    // the directives, as sbatch reads them; sbatch stops at the first line not a comment
    const lines = text.split('\n').slice(1);
    const directives = lines
      .slice(
        0,
        lines.findIndex((l) => !l.startsWith('#SBATCH ')),
      )
      .flatMap((l) => sbatchArguments(l.slice('#SBATCH '.length)));
    const log = `${path.join(slurm, piece).replace(/%/g, '%%')}-%j.log`;
    for (const want of [
      `--output=${log}`,
      '--comment=two words #x',
      '--requeue',
      '--cpus-per-task=2',
    ])
      assert.ok(directives.includes(want), `${name}: ${want} in ${JSON.stringify(directives)}`);
    // the command, as bash reads it: the same words, printed instead of run
    const printing = text.replace(/^exec /m, `exec printf '%s\\0' `);
    const r = spawnSync('bash', ['-c', printing], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const words = r.stdout.split('\0').slice(0, -1);
    assert.deepEqual(words.slice(2), [
      'run',
      demo,
      '--out',
      out,
      '--only',
      piece,
      '--resume',
      '--threads',
      '2',
    ]);
  }
  // submit.sh against an sbatch that records its arguments and answers a job id
  const bin = tempDir('gradscope-quote-bin-');
  const calls = path.join(bin, 'calls');
  fs.writeFileSync(
    path.join(bin, 'sbatch'),
    `#!/bin/bash\nprintf '%s\\0' "$@" >> ${shellQuote(calls)}\nprintf '\\n' >> ${shellQuote(calls)}\nn=$(wc -l < ${shellQuote(calls)})\necho "$((1000 + n))"\n`,
    { mode: 0o755 },
  );
  const submit = spawnSync('bash', [path.join(slurm, 'submit.sh')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  assert.equal(submit.status, 0, submit.stderr);
  const submitted = fs
    .readFileSync(calls, 'utf8')
    .split('\n')
    .slice(0, -1)
    .map((l) => l.split('\0').slice(0, -1));
  assert.equal(submitted.length, scripts.length);
  for (const args of submitted) {
    assert.equal(args[0], '--parsable');
    assert.ok(scripts.map((s) => path.join(slurm, s)).includes(args.at(-1)!), args.at(-1));
    const deps = args.find((a) => a.startsWith('--dependency='));
    if (deps) assert.match(deps, /^--dependency=afterok:\d+(:\d+)*$/);
  }
  for (const d of [dir, out, process.cwd()])
    assert.ok(!fs.readdirSync(d).some((f) => f.startsWith('PWNED')), `nothing ran in ${d}`);
});

test('the exploit: a network name cannot close the exported docstring; the module imports with the name intact', () => {
  const names = [
    `x"""\nimport os; os.system("touch PWNED-double")\n"""`,
    `x'''\nimport os; os.system('touch PWNED-single')\n'''`,
    'back\\slash \\""" $(touch PWNED-dollar) `touch PWNED-tick` \'quoted\' "double"\\',
  ];
  names.forEach((name, k) => {
    const dir = tempDir('gradscope-quote-export-');
    const layers = path.join(dir, 'net.json');
    fs.writeFileSync(layers, JSON.stringify({ ...mnistNetwork('small'), name }));
    const exported = gradscope('export', layers, '--pytorch');
    assert.equal(exported.status, 0, exported.stderr);
    const module = path.join(dir, `exported_${k}.py`);
    fs.writeFileSync(module, exported.stdout);
    // torch stood in for by empty modules: importing runs only the module's top level
    const load = [
      'import importlib.util, sys, types',
      'torch = types.ModuleType("torch"); nn = types.ModuleType("torch.nn")',
      'nn.Module = object; torch.nn = nn',
      'sys.modules["torch"] = torch; sys.modules["torch.nn"] = nn',
      `spec = importlib.util.spec_from_file_location("exported", sys.argv[1])`,
      'module = importlib.util.module_from_spec(spec); spec.loader.exec_module(module)',
      'sys.stdout.buffer.write(module.__doc__.encode("utf-8"))',
    ].join('\n');
    const r = spawnSync(python, ['-c', load, module], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.startsWith(`${name} as gradscope defines it`), r.stdout);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith('PWNED')),
      [],
      'nothing ran',
    );
  });
});
