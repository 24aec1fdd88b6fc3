/**
 * Typed command options (issue 26, item 2): each option's kind of value is declared once
 * (src/cli/command.ts: choice, integer, number, list, file, folder, flag, value), and from that
 * declaration come its --help line, the check of what the command line gives (one line,
 * "Expected <what> for --<option> but received <value>", exit status 2, before anything runs)
 * and the type of the value the command's `run` gets.
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { COMMANDS } from '../../src/cli';
import {
  absent,
  choice,
  commandHelp,
  folder,
  GLOBAL,
  integer,
  list,
  number,
  optionValues,
  type Command,
} from '../../src/cli/command';
import { GradscopeInputError } from '../../src/core/errors';
import { gradscope } from '../fixtures/cli-fixtures';
import { gradscopeEach } from '../fixtures/cli-one-process';
import { tempDir } from '../fixtures/data-fixtures';

/** gradscope `args` is refused with exactly `line` on stderr, exit status 2, and writes nothing. */
function refused(args: string[], line: string, out?: string): void {
  const r = gradscope(...args);
  assert.equal(r.status, 2, `exit status of ${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stderr, `${line}\n`);
  assert.equal(r.stdout, '');
  if (out) assert.ok(!fs.existsSync(out), `${out} was written`);
}

test('a bad choice is one line naming the option and its allowed values, exit 2, for train, analyze line and run', () => {
  const dir = tempDir('gradscope-choice-');
  const out = path.join(dir, 'run');
  refused(
    ['train', '--smoothout', '0.1', '--anneal', 'wobbly', '--epochs', '1', '--out', out],
    'gradscope: Expected constant or linear for --anneal but received "wobbly"',
    out,
  );
  refused(
    ['analyze', 'line', '--from', 'a.safetensors', '--to', 'b.safetensors', '--bn', 'wobble'],
    'gradscope: Expected recalibrate, interpolate or batch for --bn but received "wobble"',
  );
  refused(
    ['run', 'thesis', '--executor', 'wobble', '--out', out],
    'gradscope: Expected local or slurm for --executor but received "wobble"',
    out,
  );
});

test('each value is checked before the command reads anything (a bad --bn before a missing folder)', () => {
  const missing = path.join(tempDir('gradscope-choice-'), 'no-such-folder');
  refused(
    ['analyze', 'trajectory', '--checkpoints', missing, '--bn', 'keep'],
    'gradscope: Expected recalibrate or batch for --bn but received "keep"',
  );
  // adam does not use --momentum, and F9 is no network: still the value is checked first
  const out = path.join(path.dirname(missing), 'run');
  refused(
    ['train', '--network', 'F9', '--momentum', 'fast', '--out', out],
    'gradscope: Expected a number for --momentum but received "fast"',
    out,
  );
  refused(
    ['serve', 'nowhere', '--port', '70000'],
    'gradscope: Expected an integer of at most 65535 for --port but received "70000"',
  );
});

/** Every command line the CLI dispatches, with its declared options. */
const dispatched: { words: string[]; command: Command }[] = Object.entries(COMMANDS).flatMap(
  ([name, load]) => {
    const entry = load();
    return 'subcommands' in entry
      ? Object.entries(entry.subcommands).map(([sub, command]) => ({
          words: [name, sub],
          command,
        }))
      : [{ words: [name], command: entry }];
  },
);

/** The command line that gives --NAME of `command` the value "bogus": F9 is no network (and
 * no-run no run directory), so that, were the choice not checked first, the command would stop
 * there. */
function bogusChoice(words: string[], command: Command, name: string): string[] {
  const first = command.options.network ? ['--network', 'F9'] : ['no-run'];
  return [...words, ...first, `--${name}`, 'bogus'];
}

test("every choice option's --help line lists exactly its declared values, and so does its refusal", () => {
  // every command's --help and every choice's refusal, asked of the CLI in one process
  const lines = dispatched.flatMap(({ words, command }) => [
    [...words, '--help'],
    ...Object.entries(command.options)
      .filter(([, o]) => o.choices)
      .map(([name]) => bogusChoice(words, command, name)),
  ]);
  const answers = new Map(gradscopeEach(lines).map((a, i) => [lines[i]!.join(' '), a]));
  let choices = 0;
  for (const { words, command } of dispatched) {
    const help = answers.get([...words, '--help'].join(' '))!.stdout.split('\n');
    for (const [name, o] of Object.entries(command.options)) {
      if (!o.choices) continue;
      choices++;
      const line = help.find((l) => l.startsWith(`  --${name} `));
      assert.ok(line, `gradscope ${words.join(' ')} --help lists --${name}`);
      const shown = line.slice(`  --${name} `.length).split(' ')[0]!;
      assert.deepEqual(shown.split('|'), [...o.choices], `${words.join(' ')} --${name}: ${line}`);
      // a default is one of the choices, the value the --config study gives (train), or a
      // choice per optimizer of the run (analyze critical-batch --lr-rule)
      const perOptimizer = /^(\w+) for Adam, (\w+) for SGD\b/.exec(o.default);
      assert.ok(
        o.choices.includes(o.default) ||
          o.default.startsWith("the --config study's ") ||
          (perOptimizer !== null &&
            o.choices.includes(perOptimizer[1]!) &&
            o.choices.includes(perOptimizer[2]!)),
        `--${name}'s default ${o.default} is a choice`,
      );
      const r = answers.get(bogusChoice(words, command, name).join(' '))!;
      assert.equal(r.status, 2, r.stderr);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0]!, new RegExp(`for --${name} but received "bogus"$`));
      const listed = lines[0]!.replace(/^gradscope: Expected /, '').replace(/ for --.*$/, '');
      assert.deepEqual(listed.split(/, | or /), [...o.choices], lines[0]);
    }
  }
  // the analyses' --bn, --set, --eigen, --draws; train's --optimizer, --branch-at, --anneal,
  // --analysis-bn; run's --executor
  assert.ok(choices >= 14, `${choices} choice options`);
});

/** A command that exists only here: its declarations are all the test changes. */
function testCommand<O extends Command['options']>(options: O): Command<O> {
  return {
    summary: 'a command for this test',
    example: 'gradscope walk --way up',
    globals: [],
    options,
    run: () => undefined,
  };
}

test('--help shows what a declaration says: a changed choice is a changed help line', () => {
  const upDown = testCommand({ way: choice(['up', 'down'], 'down', 'where to go') });
  const leftRight = testCommand({ way: choice(['left', 'right', 'back'], 'back', 'where to go') });
  const line = (c: Command) =>
    commandHelp('walk', c, GLOBAL)
      .split('\n')
      .find((l) => l.startsWith('  --way'));
  assert.equal(line(upDown), '  --way up|down  where to go (default: down)');
  assert.equal(line(leftRight), '  --way left|right|back  where to go (default: back)');
});

test('optionValues: defaults, checked values of the declared types, one error naming the option', () => {
  const options = {
    way: choice(['up', 'down', 'sideways'], 'up', 'where to go'),
    steps: integer('N', 3, 'how many steps', { min: 1, max: 9 }),
    ratio: number('R', absent('none'), 'a ratio'),
    sizes: list('LIST', [8, 16], 'batch sizes'),
    out: folder('DIR', 'none', 'where to write'),
  };
  const defaults = optionValues(options, {});
  assert.deepEqual(defaults, {
    way: 'up',
    steps: 3,
    ratio: undefined,
    sizes: [8, 16],
    out: undefined,
  });
  // the types TypeScript gives `run` (tsc checks these lines)
  const way: 'up' | 'down' | 'sideways' = defaults.way;
  // @ts-expect-error a choice of three is not one of them
  const up: 'up' = defaults.way;
  const steps: number = defaults.steps;
  // @ts-expect-error a number without a default may be undefined
  const ratio: number = defaults.ratio;
  assert.deepEqual([way, up, steps, ratio], ['up', 'up', 3, undefined]);
  assert.deepEqual(
    optionValues(options, { way: 'down', steps: '9', ratio: '0.5', sizes: '1,2', out: 'o' }),
    { way: 'down', steps: 9, ratio: 0.5, sizes: [1, 2], out: 'o' },
  );
  for (const [given, message] of [
    [{ way: 'over' }, 'Expected up, down or sideways for --way but received "over"'],
    [{ steps: '10' }, 'Expected an integer of at most 9 for --steps but received "10"'],
    [{ steps: '0' }, 'Expected an integer of at least 1 for --steps but received "0"'],
    [{ ratio: 'half' }, 'Expected a number for --ratio but received "half"'],
    [
      { sizes: '8,x' },
      'Expected a comma-separated list of positive integers for --sizes but received "8,x"',
    ],
    [{ out: '' }, 'Expected a folder name for --out but received ""'],
  ] as const)
    assert.throws(
      () => optionValues(options, given),
      (error: unknown) => error instanceof GradscopeInputError && error.message === message,
    );
});

test('no option value in src/cli is cast: each has its declared type', () => {
  const src = path.join(__dirname, '..', '..', '..', 'src');
  const files = [
    path.join(src, 'cli.ts'),
    ...fs.readdirSync(path.join(src, 'cli')).map((f) => path.join(src, 'cli', f)),
  ];
  const casts = files.flatMap((file) =>
    fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .map((line, i) => ({ line, at: `${path.basename(file)}:${i + 1}` }))
      .filter(({ line }) =>
        /\bas (string|number|boolean)\b|\bas '|\bas \(?'|as string\[\]/.test(line),
      ),
  );
  assert.deepEqual(casts, []);
});
