/**
 * The command line (docs/design.md: a contract). Global options: --threads N, --seed S,
 * --json (one JSON result on stdout, logs on stderr), --quiet, --device cpu|cuda|cuda:N|auto,
 * --deterministic.
 * Every rejected input is one line on stderr and exit status 2.
 */
import { parseArgs, type ParseArgsConfig } from 'util';
import { GradscopeFileError, GradscopeInputError } from './engine/errors';
import { fileErrorMessage, isFileSystemError } from './engine/file-errors';
import { makeLog, type Log } from './cli/log';
import { RunStopped } from './train/stop';

interface Command {
  summary: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run(values: Record<string, unknown>, positionals: string[], log: Log): Promise<unknown> | unknown;
}

const GLOBAL: NonNullable<ParseArgsConfig['options']> = {
  threads: { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
  'image-size': { type: 'string' },
  device: { type: 'string' },
  deterministic: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const COMMANDS: Record<string, () => Command> = {
  bench: () => require('./cli/bench').benchCommand as Command,
  info: () => require('./cli/info').infoCommand as Command,
  train: () => require('./cli/train').trainCommand as Command,
  analyze: () => require('./cli/analyze').analyzeCommand as Command,
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
  lines.push(
    '',
    'global options: --threads N  --seed S  --json  --quiet  --help',
    '                --image-size S (image folders given to --data: resized to S x S)',
    '                --device cpu|cuda|cuda:N|auto (default auto: the first GPU libtorch sees, else the CPU)',
    '                --deterministic (deterministic algorithms; what that makes bit-identical: README)',
  );
  return lines.join('\n');
}

/** `--alpha -2:3:51` as docs/design.md writes it: a value that starts with a minus sign and a
 * digit belongs to the string option before it (node's parseArgs would refuse it). */
function joinNegativeValues(
  args: string[],
  options: NonNullable<ParseArgsConfig['options']>,
): string[] {
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

/** --device: checked now when given (one clear line when it cannot be had), else auto for the
 * first dataset or network; --deterministic set now. */
function applyDevice(values: Record<string, unknown>): void {
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
    const command = load();
    const options = { ...GLOBAL, ...command.options };
    const { values, positionals } = parseArgs({
      args: joinNegativeValues(rest, options),
      options,
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      process.stdout.write(`gradscope ${name}: ${command.summary}\n`);
      return;
    }
    if (values['image-size'] !== undefined) {
      const size = Number(values['image-size']);
      if (!Number.isSafeInteger(size) || size < 1 || size > 4096)
        throw new GradscopeInputError(
          `Expected an integer in [1, 4096] for --image-size but received ${JSON.stringify(values['image-size'])}`,
        );
      (require('./data/image-folder') as typeof import('./data/image-folder')).setDefaultImageSize(
        size,
      );
    }
    applyDevice(values);
    const log = makeLog({ json: Boolean(values.json), quiet: Boolean(values.quiet) });
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
