/**
 * Every command and `analyze` subcommand, taken from the declarations the CLI dispatches:
 * its --help lists every declared option with its default and an example, and an option it
 * does not declare (an unknown one, or another subcommand's) is refused in one line naming
 * it, exit status 2. A command file whose command the CLI does not dispatch fails here.
 * The command lines go to the CLI's `main` in one child process (test/fixtures/cli-one-process.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { test } from 'node:test';
import { COMMANDS, GLOBAL } from '../../src/cli';
import { globalsOf, type Command, type CommandGroup } from '../../src/cli/command';
import { gradscopeEach, type CliAnswer } from '../fixtures/cli-one-process';

/** Every command line the CLI dispatches: `train`, `analyze line`, ... */
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

function isCommand(x: unknown): x is Command {
  const c = x as Partial<Command>;
  return typeof c?.summary === 'string' && typeof c.run === 'function' && !!c.options;
}

test('every command a command file declares is one the CLI dispatches', () => {
  const cliDir = path.join(__dirname, '..', '..', 'src', 'cli');
  const declared = fs
    .readdirSync(cliDir)
    .filter((f) => f.endsWith('.js'))
    .flatMap((f) =>
      Object.entries(require(path.join(cliDir, f)) as Record<string, unknown>)
        .filter(([, x]) => isCommand(x))
        .map(([name, x]) => ({ name: `${f}: ${name}`, options: (x as Command).options })),
    );
  assert.ok(declared.length >= 14, `found ${declared.length} command declarations`);
  // the analyses are wrapped when dispatched; their options are the declared object itself
  const reachable = new Set(dispatched.map((d) => d.command.options));
  for (const d of declared) assert.ok(reachable.has(d.options), `${d.name} is not dispatched`);
});

test('the CLI names exactly the declared commands and analyze subcommands', () => {
  const unknown = answer(['frobnicate']);
  assert.equal(unknown.status, 2);
  const named = /\(commands: ([^;]+);/.exec(unknown.stderr)?.[1]?.split(', ');
  assert.deepEqual(named, Object.keys(COMMANDS));
  const analyze = COMMANDS.analyze!() as CommandGroup;
  const wrong = answer(['analyze', 'wiggle']);
  assert.equal(wrong.status, 2);
  const subs = /Expected one of (.+) after "analyze"/.exec(wrong.stderr)?.[1]?.split(', ');
  assert.deepEqual(subs, Object.keys(analyze.subcommands));
  const help = answer(['--help']).stdout;
  for (const name of Object.keys(COMMANDS))
    assert.match(help, new RegExp(`^  ${name} +\\S`, 'm'), `gradscope --help lists ${name}`);
});

/** The line of `help` that shows --NAME, or undefined. */
function optionLine(help: string, name: string): string | undefined {
  return help.split('\n').find((l) => new RegExp(`^  (-\\w, )?--${name}( |$)`).test(l));
}

/** A value each global option that takes one accepts on its own. */
const GLOBAL_VALUES: Record<string, string> = {
  threads: '1',
  seed: '1',
  'image-size': '8',
  device: 'cpu',
};

/** The global options `command` neither uses nor lists as refused: each one's command line. */
function unusedGlobals(words: string[], command: Command): { name: string; args: string[] }[] {
  const used = globalsOf(command, GLOBAL);
  return Object.entries(GLOBAL)
    .filter(([name]) => !(name in used) && !(command.refusedGlobals ?? []).includes(name as never))
    .map(([name, option]) => ({
      name,
      args: [...words, `--${name}`, ...(option.type === 'string' ? [GLOBAL_VALUES[name]!] : [])],
    }));
}

/** For each analyze subcommand, an option another one declares and it does not. */
function foreignOptions(): { sub: string; foreign: string | undefined }[] {
  const analyze = COMMANDS.analyze!() as CommandGroup;
  return Object.entries(analyze.subcommands).map(([sub, command]) => ({
    sub,
    foreign: Object.values(analyze.subcommands)
      .flatMap((c) => Object.keys(c.options))
      .find((o) => !(o in command.options) && !(o in GLOBAL)),
  }));
}

/** Every command line this file's tests ask: per dispatched command its --help, two undeclared
 * options and each unused global option, and the lines of the tests of names and analyze. */
const asked: string[][] = [
  ['frobnicate'],
  ['analyze', 'wiggle'],
  ['--help'],
  ...dispatched.flatMap(({ words, command }) => [
    [...words, '--help'],
    [...words, '--no-such-option'],
    [...words, '--no-such-flag', 'x'],
    ...unusedGlobals(words, command).map((g) => g.args),
  ]),
  ['analyze', 'gradients', '--grid', '-1:1:5'],
  ...foreignOptions()
    .filter((f) => f.foreign !== undefined)
    .map(({ sub, foreign }) => ['analyze', sub, `--${foreign}`, '1']),
  ['analyze', '--help'],
];
let answered: Map<string, CliAnswer> | undefined;
/** gradscope's answer to `args`, one of `asked`: all are asked of the CLI in one child
 * process (test/fixtures/cli-one-process.ts), once, when the first is needed. */
function answer(args: string[]): CliAnswer {
  if (!answered) {
    const answers = gradscopeEach(asked);
    answered = new Map(asked.map((a, i) => [JSON.stringify(a), answers[i]!]));
  }
  const got = answered.get(JSON.stringify(args));
  assert.ok(got, `gradscope ${args.join(' ')} is one of the lines asked`);
  return got;
}

function checkHelp(words: string[], command: Command): void {
  const options = command.options;
  const r = answer([...words, '--help']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^gradscope ${words.join(' ')}: \\S`));
  for (const name of command.refusedGlobals ?? [])
    assert.equal(optionLine(r.stdout, name), undefined, `--${name} is refused: not in --help`);
  for (const [name, o] of Object.entries({ ...options, ...globalsOf(command, GLOBAL) })) {
    const line = optionLine(r.stdout, name);
    assert.ok(line, `gradscope ${words.join(' ')} --help lists --${name}`);
    assert.ok(line.endsWith(`(default: ${o.default})`), `its default: ${line}`);
    assert.ok(o.default.trim() !== '' && o.help.trim() !== '', `--${name} is described`);
  }
  const example = r.stdout.split('\n').indexOf('example:');
  assert.ok(example > 0, 'an example');
  assert.ok(r.stdout.split('\n')[example + 1]!.startsWith(`  gradscope ${words.join(' ')}`));
}

function checkRefused(args: string[], option: string): void {
  const r = answer(args);
  assert.equal(r.status, 2, `exit status of ${args.join(' ')}: ${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line: ${r.stderr}`);
  assert.match(lines[0]!, new RegExp(`^gradscope: Unknown option '${option}'`));
  assert.equal(r.stdout, '');
}

for (const { words, command } of dispatched)
  test(`gradscope ${words.join(' ')}: --help lists every option; others are refused`, () => {
    checkHelp(words, command);
    checkRefused([...words, '--no-such-option'], '--no-such-option');
    checkRefused([...words, '--no-such-flag', 'x'], '--no-such-flag');
  });

for (const { words, command } of dispatched)
  test(`gradscope ${words.join(' ')}: a global option it does not use is refused, naming it`, () => {
    for (const { name, args } of unusedGlobals(words, command)) {
      const r = answer(args);
      assert.equal(r.status, 2, `exit status of ${args.join(' ')}: ${r.stderr}`);
      const lines = r.stderr.trim().split('\n');
      assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      assert.match(
        lines[0]!,
        new RegExp(`^gradscope: --${name}: gradscope ${words.join(' ')} does not use it`),
      );
      assert.equal(r.stdout, '');
    }
  });

test('the global options each command uses, as their code reads them', () => {
  const globals = (words: string) =>
    dispatched
      .find((d) => d.words.join(' ') === words)!
      .command.globals.slice()
      .sort();
  const computing = ['deterministic', 'device', 'image-size', 'json', 'quiet', 'seed', 'threads'];
  for (const words of [
    'train',
    'analyze gradients',
    'analyze line',
    'analyze surface',
    'analyze sharpness',
    'analyze trajectory',
  ])
    assert.deepEqual(globals(words), computing, words);
  assert.deepEqual(globals('run'), [
    'deterministic',
    'device',
    'image-size',
    'json',
    'quiet',
    'threads',
  ]);
  assert.deepEqual(globals('demo'), ['deterministic', 'device', 'json', 'quiet', 'threads']);
  assert.deepEqual(globals('bench'), ['deterministic', 'device', 'json', 'quiet']);
  assert.deepEqual(globals('info'), ['device', 'json', 'quiet']);
  for (const words of ['report', 'export', 'status'])
    assert.deepEqual(globals(words), ['json', 'quiet'], words);
  assert.deepEqual(globals('serve'), ['quiet']);
});

test('an analyze subcommand refuses the options of the others (analyze gradients --grid)', () => {
  checkRefused(['analyze', 'gradients', '--grid', '-1:1:5'], '--grid');
  const analyze = COMMANDS.analyze!() as CommandGroup;
  for (const { sub, foreign } of foreignOptions()) {
    assert.ok(foreign, `an option ${sub} does not declare`);
    checkRefused(['analyze', sub, `--${foreign}`, '1'], `--${foreign}`);
  }
  const group = answer(['analyze', '--help']);
  assert.equal(group.status, 0, group.stderr);
  for (const sub of Object.keys(analyze.subcommands))
    assert.match(group.stdout, new RegExp(`^  ${sub} +\\S`, 'm'));
});

test('an option several analyze subcommands declare has one type there (the first parse, over all of them, picks the subcommand)', () => {
  const group = COMMANDS.analyze!() as CommandGroup;
  const seen = new Map<string, { type: string; multiple: boolean; where: string }>();
  for (const [sub, command] of Object.entries(group.subcommands))
    for (const [name, o] of Object.entries(command.options)) {
      const shape = { type: o.type, multiple: Boolean(o.multiple), where: sub };
      const before = seen.get(name);
      if (before)
        assert.deepEqual(
          { type: shape.type, multiple: shape.multiple },
          { type: before.type, multiple: before.multiple },
          `--${name} in analyze ${sub} and analyze ${before.where}`,
        );
      else seen.set(name, shape);
    }
  assert.ok(seen.size > 10, `${seen.size} options`);
});
