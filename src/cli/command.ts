/**
 * A command as the command line declares it: its options, each with its value, its default
 * and what it does, from which both its `--help` and the refusal of unknown options come
 * (node's parseArgs, strict: an option not declared is one line naming it, exit status 2).
 *
 * To add an option to a command, add one line to its `options`, for example
 * `tune: flag('search the thread settings first')` or
 * `port: value('N', '8080', 'the port to listen on')`, and read it in `run` as `values.tune`.
 */
import { parseArgs, type ParseArgsConfig } from 'util';
import { GradscopeInputError } from '../core/errors';
import type { Log } from './log';

/** One option of a command. */
export interface OptionDeclaration {
  /** A flag (`boolean`), or an option that takes a value (`string`). */
  type: 'boolean' | 'string';
  /** The value's name in --help (N, FILE, LIST...); only for a string option. */
  value?: string;
  /** What holds when the option is not given, as --help says it. */
  default: string;
  /** What the option does, in one short line. */
  help: string;
  /** The option may be given more than once (its values then come as a list). */
  multiple?: boolean;
  /** A one-letter alias (`-h`). */
  short?: string;
}

/** A command's options by name (without the leading `--`). */
export type OptionDeclarations = Record<string, OptionDeclaration>;

/** A flag: off unless given. */
export function flag(help: string): OptionDeclaration {
  return { type: 'boolean', default: 'off', help };
}

/** An option that takes a value named `name` in --help, with its default in words. */
export function value(name: string, fallback: string, help: string): OptionDeclaration {
  return { type: 'string', value: name, default: fallback, help };
}

/** A command: what it is for, its options, an example, and what it does with them. */
export interface Command {
  summary: string;
  /** What follows the command's name besides options, as the usage line shows it. */
  operands?: string;
  /** One command line that works (or would, with the files it names). */
  example: string;
  options: OptionDeclarations;
  /** The global options this command uses (besides --help): listed in its --help and
   * accepted; any other global option is refused in one line naming it. */
  globals: readonly GlobalName[];
  /** Global options this command refuses with a pointer elsewhere (run's --seed: use --seeds);
   * left out of its --help. */
  refusedGlobals?: readonly GlobalName[];
  /** What its exit statuses mean, one line each, when it has more than 0 and 2; in --help. */
  exitStatus?: readonly string[];
  run(values: Record<string, unknown>, positionals: string[], log: Log): Promise<unknown> | unknown;
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
): { values: Record<string, unknown>; positionals: string[] } {
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
