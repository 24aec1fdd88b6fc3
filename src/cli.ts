/**
 * The command line (docs/design.md: a contract). Global options (GLOBAL): --threads N,
 * --seed S, --json (one JSON result on stdout, logs on stderr), --quiet, --image-size S,
 * --device cpu|cuda|cuda:N|auto, --deterministic; each command names those it uses (its
 * `globals`) and refuses the others; they are declared in src/cli/command.ts (GLOBAL).
 * Each command declares its own options (src/cli/command.ts); its --help, the refusal
 * of any other option, the check of each value and the values' types come from that
 * declaration.
 * Every rejected input is one line on stderr and exit status 2.
 */
import { GradscopeFileError, GradscopeInputError } from './core/errors';
import { fileErrorMessage, isFileSystemError } from './core/file-errors';
import {
  commandHelp,
  GLOBAL,
  groupHelp,
  optionLines,
  optionValues,
  parseOptions,
  refuseUnusedGlobals,
  type Command,
  type CommandGroup,
  type GivenValue,
  type GlobalValues,
} from './cli/command';
import { makeLog } from './core/log';
import { RunStopped } from './train/stop';

export { GLOBAL };

/** Every command the CLI dispatches, loaded when named. */
export const COMMANDS: Record<string, () => Command | CommandGroup> = {
  bench: () => require('./cli/bench').benchCommand as Command,
  info: () => require('./cli/info').infoCommand as Command,
  train: () => require('./cli/train').trainCommand as Command,
  analyze: () => require('./cli/analyze').analyzeCommand as CommandGroup,
  run: () => require('./cli/run').runCommand as Command,
  demo: () => require('./cli/run').demoCommand as Command,
  report: () => require('./cli/run').reportCommand as Command,
  export: () => require('./cli/export').exportCommand as Command,
  serve: () => require('./cli/serve').serveCommand as Command,
  status: () => require('./cli/status').statusCommand as Command,
};

function usage(): string {
  const lines = ['usage: gradscope <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(COMMANDS))
    lines.push(`  ${name.padEnd(10)} ${load().summary}`);
  lines.push('', 'global options:', ...optionLines(GLOBAL));
  lines.push('', "each command's options: gradscope <command> --help");
  return lines.join('\n');
}

/**
 * The command `argv` names (for a group, its subcommand: the first operand, wherever it
 * stands among the options), its values and operands; undefined after printing --help.
 */
function parseCommandLine(
  name: string,
  group: Command | CommandGroup,
  args: string[],
): { command: Command; values: Record<string, GivenValue>; positionals: string[] } | undefined {
  if (!('subcommands' in group)) {
    const { values, positionals } = parseOptions(args, { ...GLOBAL, ...group.options });
    if (values.help) {
      process.stdout.write(`${commandHelp(name, group, GLOBAL)}\n`);
      return undefined;
    }
    refuseUnusedGlobals(name, group, values, GLOBAL);
    return { command: group, values, positionals };
  }
  const every = Object.assign(
    {},
    GLOBAL,
    ...Object.values(group.subcommands).map((c) => c.options),
  );
  const first = parseOptions(args, every);
  const which = first.positionals[0];
  if (which === undefined && first.values.help) {
    process.stdout.write(`${groupHelp(name, group)}\n`);
    return undefined;
  }
  const command =
    which !== undefined && Object.hasOwn(group.subcommands, which)
      ? group.subcommands[which]!
      : undefined;
  if (!command) throw group.unknown(which);
  const parsed = parseCommandLine(`${name} ${which}`, command, args);
  return parsed && { ...parsed, positionals: parsed.positionals.slice(1) };
}

/** --device: checked now when given (one clear line when it cannot be had), else auto for the
 * first dataset or network; --deterministic set now. */
function applyDevice(values: GlobalValues): void {
  const device = require('./engine/device') as typeof import('./engine/device');
  if (values.device !== undefined) device.useDevice(values.device, '--device');
  else device.requestDevice('auto');
  if (values.deterministic) device.setDeterministic(true);
}

export async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  try {
    if (name === '--version' || name === '-v') {
      process.stdout.write(`gradscope ${require('../../package.json').version}\n`);
      return;
    }
    if (!name || name === '--help' || name === '-h' || name === 'help') {
      process.stdout.write(`${usage()}\n`);
      return;
    }
    const load = COMMANDS[name];
    if (!load)
      throw new GradscopeInputError(
        `unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(', ')}; see gradscope --help)`,
      );
    const parsed = parseCommandLine(name, load(), rest);
    if (!parsed) return;
    const { command, positionals } = parsed;
    // every value checked here, once, before the command runs
    const values = {
      ...optionValues(GLOBAL, parsed.values),
      ...optionValues(command.options, parsed.values),
    };
    if (values['image-size'] !== undefined)
      (require('./data/image-folder') as typeof import('./data/image-folder')).setDefaultImageSize(
        values['image-size'],
      );
    applyDevice(values);
    const log = makeLog({ json: values.json, quiet: values.quiet });
    const result = await command.run(values, positionals, log);
    if (log.json && result !== undefined)
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } catch (error) {
    if (error instanceof RunStopped) {
      process.stderr.write(`gradscope: ${error.message}\n`);
      if (error.resume) process.stderr.write(`gradscope: resume with: ${error.resume}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    const fileSystem = isFileSystemError(error);
    const known =
      fileSystem ||
      error instanceof GradscopeInputError ||
      error instanceof GradscopeFileError ||
      (error instanceof TypeError &&
        'code' in error &&
        String(error.code).startsWith('ERR_PARSE_ARGS'));
    // an fs error anywhere below: the path and the cause in words
    const full = fileSystem
      ? fileErrorMessage(error)
      : error instanceof Error
        ? error.message
        : String(error);
    // parseArgs explains itself over several lines; the first says what is wrong
    const message = known && error instanceof TypeError ? full.split('\n')[0]! : full;
    process.stderr.write(`gradscope: ${message}\n`);
    if (!known && error instanceof Error && process.env.GRADSCOPE_DEBUG)
      process.stderr.write(`${error.stack}\n`);
    process.exitCode = known ? 2 : 1;
  }
}
