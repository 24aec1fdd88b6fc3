/**
 * Every value gradscope writes into text another program reads as code goes through one
 * helper per target language, so a name holding a newline, a quote, `$()`, a backtick or a
 * docstring terminator stays a value:
 * - bash (job scripts, submit.sh, the commands printed for a user to paste): shellQuote;
 * - Slurm's `#SBATCH` directives, read by sbatch's own parser (quotes group, a backslash
 *   escapes, an unquoted `#` starts a comment, a line ends the directive), and its file-name
 *   patterns (`%j`; `%%` a literal percent; a backslash turns every pattern off):
 *   slurmDirective, slurmFilePattern;
 * - Python source (the exported nn.Module, the bench's snippets): pythonString.
 * A value a language cannot hold (a newline in a directive) is refused, never mangled.
 */
import { expected } from './errors';

/** Characters every one of these languages reads as themselves, unquoted. */
const PLAIN = /^[\w@%+=:,./-]+$/;
const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * One word for bash: as is when plain, else in single quotes (a single quote as '\''), or,
 * when it holds a control character such as a newline, in ANSI-C quotes ($'...'), so the
 * command stays on one line.
 */
export function shellQuote(value: string): string {
  if (PLAIN.test(value)) return value;
  if (!CONTROL.test(value)) return `'${value.replace(/'/g, `'\\''`)}'`;
  const escaped = [...value]
    .map((c) => {
      if (c === '\\' || c === "'") return `\\${c}`;
      if (c === '\n') return '\\n';
      if (c === '\t') return '\\t';
      return CONTROL.test(c) ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : c;
    })
    .join('');
  return `$'${escaped}'`;
}

/**
 * The text after `#SBATCH ` for `option` (e.g. "--output") set to `value`: as is when plain,
 * else the value in double quotes with `\` and `"` escaped, as sbatch reads them. A value with
 * a control character (a newline would end the directive and start a shell line) is refused:
 * `source` names what the user gave (an option or a config field) in the one-line error.
 */
export function slurmDirective(option: string, value: string, source = option): string {
  if (CONTROL.test(value))
    throw expected(
      `a value without newlines or other control characters (it goes into "#SBATCH ${option}=")`,
      source,
      value,
    );
  return `${option}=${PLAIN.test(value) ? value : `"${value.replace(/[\\"]/g, '\\$&')}"`}`;
}

/**
 * A literal path as part of a Slurm file-name pattern (--output): `%` doubled. A backslash
 * cannot be kept (Slurm drops it and stops expanding %j), so such a path is refused.
 */
export function slurmFilePattern(literal: string, source: string): string {
  if (literal.includes('\\'))
    throw expected(
      'a path without a backslash (Slurm reads one in a log path as "expand nothing")',
      source,
      literal,
    );
  return literal.replace(/%/g, '%%');
}

/**
 * A Python string literal holding `value` exactly: in double quotes (`docstring`: in triple
 * double quotes, newlines kept as lines), every backslash, double quote and non-printable or
 * non-ASCII character escaped, so the text can close no string and run nothing.
 */
export function pythonString(value: string, options: { docstring?: boolean } = {}): string {
  const body = [...value]
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (c === '\\' || c === '"') return `\\${c}`;
      if (c === '\n' && options.docstring) return '\n';
      if (code >= 0x20 && code < 0x7f) return c;
      if (code < 0x100) return `\\x${code.toString(16).padStart(2, '0')}`;
      if (code < 0x10000) return `\\u${code.toString(16).padStart(4, '0')}`;
      return `\\U${code.toString(16).padStart(8, '0')}`;
    })
    .join('');
  return options.docstring ? `"""${body}"""` : `"${body}"`;
}
