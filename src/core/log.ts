/**
 * Where a command talks: results on stdout (one JSON document with --json),
 * everything else on stderr, silenced by --quiet.
 */
export interface Log {
  info(message: string): void;
  json: boolean;
  quiet: boolean;
}

export function makeLog(options: { json: boolean; quiet: boolean }): Log {
  return {
    ...options,
    info(message: string) {
      if (!options.quiet) process.stderr.write(`${message}\n`);
    },
  };
}
