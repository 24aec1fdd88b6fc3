/**
 * A command as the command line declares it: its options, each with the kind of value it
 * takes, its default and what it does. From that one declaration come its `--help`, the
 * refusal of unknown options (node's parseArgs, strict: an option not declared is one line
 * naming it, exit status 2), the check of each value (one line, "Expected <what> for
 * --<option> but received <value>", exit status 2) and the type of the value `run` gets.
 *
 * To add an option to a command, add one line to its `options`, for example
 * `tune: flag('search the thread settings first')`,
 * `port: integer('N', 8080, 'the port to listen on', { min: 0, max: 65535 })` or
 * `bn: choice(['population', 'batch'], 'population', 'batch norm')`, and read it in `run` as
 * `values.tune` (a boolean), `values.port` (a number) or `values.bn` ('population' | 'batch').
 */
import { parseArgs, type ParseArgsConfig } from 'util';
import { expected, GradscopeInputError } from '../core/errors';
import { LIMITS } from '../engine/limits';
import type { Log } from '../core/log';
import { integerList, integerOption, numberOption, threadsOption } from './options';

/** What node's parseArgs gives for one option: undefined when it is not given. */
export type GivenValue = string | boolean | (string | boolean)[] | undefined;

/** One option of a command; `T` is the type of the value its command's `run` gets. */
export interface OptionDeclaration<T = unknown> {
  /** A flag (`boolean`), or an option that takes a value (`string`). */
  type: 'boolean' | 'string';
  /** The value's name in --help (N, FILE, LIST, adam|sgd...); only for a string option. */
  value?: string;
  /** What holds when the option is not given, as --help says it. */
  default: string;
  /** What the option does, in one short line. */
  help: string;
  /** The option may be given more than once (its values then come as a list). */
  multiple?: boolean;
  /** A one-letter alias (`-h`). */
  short?: string;
  /** A choice's allowed values, in the order --help lists them. */
  choices?: readonly string[];
  /** The value `run` gets from what the command line gave (undefined: not given), checked:
   * a value it refuses is one line naming `option` (`--name`). */
  parse(given: GivenValue, option: string): T;
}

/** A command's options by name (without the leading `--`). */
export type OptionDeclarations = Record<string, OptionDeclaration>;

/** The values `run` gets for these declarations, each of the type its declaration gives. */
export type OptionValues<O extends OptionDeclarations> = {
  [K in keyof O]: O[K] extends OptionDeclaration<infer T> ? T : never;
};

/** A default said in words, where the command decides what holds (it depends on other
 * values, the data or the network): the option's value is then undefined. */
export interface Absent {
  readonly absent: string;
}

/** `--help`'s default in words; the value is undefined when the option is not given. */
export function absent(words: string): Absent {
  return { absent: words };
}

function isAbsent(fallback: unknown): fallback is Absent {
  return typeof fallback === 'object' && fallback !== null && 'absent' in fallback;
}

/** An option that takes one value named `name` in --help, `read` from its text (and checked
 * there); `fallback` when not given, which --help shows as it prints (256,5000 for a list). */
function single<T, D>(
  name: string,
  fallback: D | Absent,
  help: string,
  read: (text: string, option: string) => T,
): OptionDeclaration<T | D | undefined> {
  return {
    type: 'string',
    value: name,
    default: isAbsent(fallback) ? fallback.absent : String(fallback),
    help,
    parse: (given, option) =>
      given === undefined
        ? isAbsent(fallback)
          ? undefined
          : fallback
        : read(String(given), option),
  };
}

/** A flag: off unless given. */
export function flag(help: string): OptionDeclaration<boolean> {
  return { type: 'boolean', default: 'off', help, parse: (given) => given === true };
}

/** Free text (a network's name, a piece list...), checked where it is used; undefined when
 * not given, and `fallback` says in words what then holds. */
export function value(
  name: string,
  fallback: string,
  help: string,
): OptionDeclaration<string | undefined> {
  return single<string, never>(name, absent(fallback), help, (text) => text);
}

/** Text that `read` checks and turns into a value (a grid, a list of seeds); undefined when
 * not given, and `fallback` says in words what then holds. */
export function parsed<T>(
  name: string,
  fallback: string,
  help: string,
  read: (text: string, option: string) => T,
): OptionDeclaration<T | undefined> {
  return single<T, never>(name, absent(fallback), help, read);
}

/** A path named `what` ("a file"): not empty; whether it is there is for its reader to say. */
function pathOf(what: string, name: string, fallback: string, help: string) {
  return parsed(name, fallback, help, (text, option) => {
    if (text === '') throw expected(what, option, text);
    return text;
  });
}

/** A file's path (a checkpoint, a results file); undefined when not given. */
export function file(
  name: string,
  fallback: string,
  help: string,
): OptionDeclaration<string | undefined> {
  return pathOf('a file name', name, fallback, help);
}

/** A folder's path (a run directory, an output folder); undefined when not given. */
export function folder(
  name: string,
  fallback: string,
  help: string,
): OptionDeclaration<string | undefined> {
  return pathOf('a folder name', name, fallback, help);
}

/** An option that may be given more than once: its values in order, none when not given. */
export function repeated(
  name: string,
  fallback: string,
  help: string,
): OptionDeclaration<string[]> {
  return {
    type: 'string',
    value: name,
    default: fallback,
    help,
    multiple: true,
    parse: (given) =>
      Array.isArray(given) ? given.map(String) : given === undefined ? [] : [String(given)],
  };
}

/** An integer in [min, max] (min 1 unless said): `fallback` when not given. */
export function integer(
  name: string,
  fallback: number,
  help: string,
  bounds?: { min?: number; max?: number },
): OptionDeclaration<number>;
export function integer(
  name: string,
  fallback: Absent,
  help: string,
  bounds?: { min?: number; max?: number },
): OptionDeclaration<number | undefined>;
export function integer(
  name: string,
  fallback: number | Absent,
  help: string,
  { min = 1, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): OptionDeclaration<number | undefined> {
  return single(name, fallback, help, (text, option) => integerOption(text, option, 0, min, max));
}

/** A finite number: `fallback` when not given. */
export function number(name: string, fallback: number, help: string): OptionDeclaration<number>;
export function number(
  name: string,
  fallback: Absent,
  help: string,
): OptionDeclaration<number | undefined>;
export function number(
  name: string,
  fallback: number | Absent,
  help: string,
): OptionDeclaration<number | undefined> {
  return single(name, fallback, help, (text, option) => numberOption(text, option, 0));
}

/** A comma-separated list of positive integers of at most `max` (batch sizes, epochs). */
export function list(
  name: string,
  fallback: readonly number[],
  help: string,
  max?: number,
): OptionDeclaration<number[]>;
export function list(
  name: string,
  fallback: Absent,
  help: string,
  max?: number,
): OptionDeclaration<number[] | undefined>;
export function list(
  name: string,
  fallback: readonly number[] | Absent,
  help: string,
  max: number = LIMITS.batchSize,
): OptionDeclaration<number[] | undefined> {
  // run gets a list of its own, not the (readonly) default itself
  return single(name, isAbsent(fallback) ? fallback : [...fallback], help, (text, option) =>
    integerList(text, option, max),
  );
}

/** "a or b", "a, b or c". */
function alternatives(values: readonly string[]): string {
  return values.length < 2
    ? values.join('')
    : `${values.slice(0, -1).join(', ')} or ${values[values.length - 1]}`;
}

/**
 * One of `values`, which --help lists as the value's name (`adam|sgd`); `fallback` when not
 * given. `choice(['adam', 'sgd'], 'adam', 'the optimizer')` gives `run` an 'adam' | 'sgd'.
 */
export function choice<const V extends readonly string[]>(
  values: V,
  fallback: V[number],
  help: string,
): OptionDeclaration<V[number]>;
export function choice<const V extends readonly string[]>(
  values: V,
  fallback: Absent,
  help: string,
): OptionDeclaration<V[number] | undefined>;
export function choice(
  values: readonly string[],
  fallback: string | Absent,
  help: string,
): OptionDeclaration<string | undefined> {
  return {
    ...single(values.join('|'), fallback, help, (text, option) => {
      if (!values.includes(text)) throw expected(alternatives(values), option, text);
      return text;
    }),
    choices: values,
  };
}

/** The options every command takes; each command names those it uses (its `globals`). */
export const GLOBAL = {
  threads: parsed('N', 'chosen per network', "torch's and BLAS's thread pools, N each", (text) =>
    threadsOption(text),
  ),
  seed: integer('S', absent('0'), 'the random seed', { min: 0 }),
  json: flag('print one JSON result on stdout, logs on stderr'),
  quiet: flag('no logs or progress on stderr'),
  'image-size': integer(
    'S',
    absent("the images' own size"),
    'image folders given to --data: resized to S x S',
    { max: 4096 },
  ),
  device: value(
    'D',
    'auto: the first GPU libtorch sees, else the CPU',
    'where to compute: cpu, cuda, cuda:N or auto',
  ),
  deterministic: flag('deterministic algorithms (what that makes bit-identical: README)'),
  help: { ...flag("this command's options, their defaults and an example"), short: 'h' },
} satisfies OptionDeclarations;

/** The values of the global options, as every command's `run` gets them. */
export type GlobalValues = OptionValues<typeof GLOBAL>;

/** The values a command's `run` gets: its own options' and the global ones'. */
export type CommandValues<O extends OptionDeclarations> = OptionValues<O> & GlobalValues;

/** The values of `given` (parseArgs' values) under these declarations, each checked. */
export function optionValues<O extends OptionDeclarations>(
  options: O,
  given: Record<string, GivenValue>,
): OptionValues<O> {
  const values: Record<string, unknown> = {};
  for (const [name, o] of Object.entries(options)) values[name] = o.parse(given[name], `--${name}`);
  // each entry is its declaration's parse result: the mapped type says just that
  return values as OptionValues<O>;
}

/** A command: what it is for, its options, an example, and what it does with them. */
export interface Command<O extends OptionDeclarations = OptionDeclarations> {
  summary: string;
  /** What follows the command's name besides options, as the usage line shows it. */
  operands?: string;
  /** One command line that works (or would, with the files it names). */
  example: string;
  options: O;
  /** The global options this command uses (besides --help): listed in its --help and
   * accepted; any other global option is refused in one line naming it. */
  globals: readonly GlobalName[];
  /** Global options this command refuses with a pointer elsewhere (run's --seed: use --seeds);
   * left out of its --help. */
  refusedGlobals?: readonly GlobalName[];
  /** What its exit statuses mean, one line each, when it has more than 0 and 2; in --help. */
  exitStatus?: readonly string[];
  /** What the command does with its values (each of its declaration's type, checked). */
  run(values: CommandValues<O>, positionals: string[], log: Log): Promise<unknown> | unknown;
}

/** A command, its `run`'s values typed from its `options` (`values.bn`: 'population' | 'batch'). */
export function command<O extends OptionDeclarations>(declared: Command<O>): Command<O> {
  return declared;
}

/** The exit statuses of a command that trains (train, run, demo). */
export const TRAINING_EXIT_STATUS = [
  '0     done: every phase finished or converged',
  '2     an input error: one line on stderr names the option or file',
  '3     a phase diverged: "diverged" in metrics.jsonl and --json; the run directory is complete',
  '130   stopped by SIGINT (143: SIGTERM) at a step; the command that resumes is printed',
] as const;

/** The global options (src/cli.ts's GLOBAL) a command may use; --help every command takes. */
export type GlobalName =
  'threads' | 'seed' | 'json' | 'quiet' | 'image-size' | 'device' | 'deterministic';

/** The global options `command` lists in its --help: those it uses, and --help. */
export function globalsOf(command: Command, global: OptionDeclarations): OptionDeclarations {
  const used = new Set<string>([...command.globals, 'help']);
  return Object.fromEntries(Object.entries(global).filter(([name]) => used.has(name)));
}

/**
 * Refuses a global option that `command` does not use (`gradscope export --threads 4`), in one
 * line naming it; the ones it refuses with a pointer of its own (`refusedGlobals`) pass here.
 */
export function refuseUnusedGlobals(
  name: string,
  command: Command,
  values: Record<string, unknown>,
  global: OptionDeclarations,
): void {
  const listed = globalsOf(command, global);
  const refused = new Set<string>(command.refusedGlobals ?? []);
  for (const option of Object.keys(global)) {
    const given = values[option] !== undefined && values[option] !== false;
    if (given && !(option in listed) && !refused.has(option))
      throw new GradscopeInputError(
        `--${option}: gradscope ${name} does not use it (its global options: ${Object.keys(listed)
          .map((o) => `--${o}`)
          .join(', ')})`,
      );
  }
}

/** A command whose first operand names one of its subcommands (`gradscope analyze line`). */
export interface CommandGroup {
  summary: string;
  example: string;
  subcommands: Record<string, Command>;
  /** The one-line error for a missing or unknown subcommand. */
  unknown(which: string | undefined): Error;
}

/** Node's parseArgs configuration for these declarations. */
export function parseConfig(options: OptionDeclarations): NonNullable<ParseArgsConfig['options']> {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, o] of Object.entries(options))
    config[name] = {
      type: o.type,
      ...(o.multiple ? { multiple: true } : {}),
      ...(o.short ? { short: o.short } : {}),
      ...(o.type === 'boolean' ? { default: false } : {}),
    };
  return config;
}

/** `--alpha -2:3:51` as docs/design.md writes it: a value that starts with a minus sign and a
 * digit belongs to the string option before it (node's parseArgs would refuse it). */
function joinNegativeValues(args: string[], options: OptionDeclarations): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string' && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

/**
 * The values and operands of `args` under these declarations; an option not declared is
 * refused (parseArgs' TypeError, code ERR_PARSE_ARGS_UNKNOWN_OPTION, naming it).
 */
export function parseOptions(
  args: string[],
  options: OptionDeclarations,
): { values: Record<string, GivenValue>; positionals: string[] } {
  const { values, positionals } = parseArgs({
    args: joinNegativeValues(args, options),
    options: parseConfig(options),
    allowPositionals: true,
    strict: true,
  });
  return { values, positionals };
}

/** The option lines of --help: `  --name VALUE  what it does (default: ...)`. */
export function optionLines(options: OptionDeclarations): string[] {
  const left = Object.entries(options).map(
    ([name, o]) =>
      `${o.short ? `-${o.short}, ` : ''}--${name}${o.value ? ` ${o.value}` : ''}${o.multiple ? ' ...' : ''}`,
  );
  const width = Math.max(0, ...left.map((l) => l.length));
  return Object.values(options).map(
    (o, i) => `  ${left[i]!.padEnd(width)}  ${o.help} (default: ${o.default})`,
  );
}

/** `gradscope NAME --help`: the summary, the usage, every option with its default, an example. */
export function commandHelp(name: string, command: Command, global: OptionDeclarations): string {
  const lines = [
    `gradscope ${name}: ${command.summary}`,
    '',
    `usage: gradscope ${name}${command.operands ? ` ${command.operands}` : ''} [options]`,
  ];
  if (Object.keys(command.options).length)
    lines.push('', 'options:', ...optionLines(command.options));
  lines.push('', 'global options:', ...optionLines(globalsOf(command, global)));
  if (command.exitStatus)
    lines.push('', 'exit status:', ...command.exitStatus.map((l) => `  ${l}`));
  lines.push('', 'example:', `  ${command.example}`);
  return lines.join('\n');
}

/** `gradscope NAME --help` for a group: its subcommands, and where each one's help is. */
export function groupHelp(name: string, group: CommandGroup): string {
  const width = Math.max(...Object.keys(group.subcommands).map((s) => s.length));
  return [
    `gradscope ${name}: ${group.summary}`,
    '',
    `usage: gradscope ${name} <${Object.keys(group.subcommands).join('|')}> [options]`,
    '',
    'subcommands:',
    ...Object.entries(group.subcommands).map(([sub, c]) => `  ${sub.padEnd(width)}  ${c.summary}`),
    '',
    `each one's options: gradscope ${name} <subcommand> --help`,
    '',
    'example:',
    `  ${group.example}`,
  ].join('\n');
}
