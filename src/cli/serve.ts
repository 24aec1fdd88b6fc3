/**
 * `gradscope serve DIR [--port 8080] [--host 127.0.0.1]`: the report of a study or a switch
 * study, live, while it runs (or after); loopback only unless --host says otherwise, and only for requests whose
 * Host header names that address (no DNS rebinding); at most 64 connections at once. Ctrl-C
 * stops it.
 */
import * as fs from 'fs';
import { GradscopeInputError } from '../core/errors';
import { serveStudy } from '../report/live-server';
import { holdsRun, holdsSwitchStudy, readStudyConfigFile } from '../store/config-file';
import { tensorboardDir } from '../store/run-paths';
import { command, integer, value } from './command';

export const serveCommand = command({
  summary:
    "serve a study's or a switch study's report live while it runs (http://127.0.0.1:8080 by default)",
  operands: '<run-dir>',
  example: 'gradscope serve runs/thesis-f1 --port 8080',
  globals: ['quiet'],
  options: {
    port: integer('N', 8080, 'the port to listen on; 0: any free one', { min: 0, max: 65535 }),
    host: value('H', '127.0.0.1', 'the address to listen on (loopback only by default)'),
  },
  async run(values, positionals, log) {
    const dir = positionals[0];
    if (!dir) throw new GradscopeInputError('gradscope serve needs a run directory');
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory())
      throw new GradscopeInputError(`gradscope serve: ${dir} is not a directory`);
    if (holdsRun(dir) && !holdsSwitchStudy(dir) && !('study' in readStudyConfigFile(dir)))
      throw new GradscopeInputError(
        `gradscope serve: ${dir} holds a training run, not a study; watch it with TensorBoard (tensorboard --logdir ${tensorboardDir(dir)})`,
      );
    const port = values.port;
    const host = values.host ?? '127.0.0.1';
    let server;
    try {
      // errors it survives (out of descriptors, too many connections) go to stderr, one
      // line each, even with --quiet: they mean pages were refused
      server = await serveStudy(dir, { port, host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (
        code === 'EADDRINUSE' ||
        code === 'EACCES' ||
        code === 'EADDRNOTAVAIL' ||
        code === 'ENOTFOUND'
      )
        throw new GradscopeInputError(
          `gradscope serve: cannot listen on ${host}:${port} (${code}); choose another --port or --host`,
        );
      throw error;
    }
    // the address on stdout (a script or test reads it), the rest on stderr
    process.stdout.write(`${server.url}\n`);
    log.info(`gradscope: serving the report of ${dir} at ${server.url}; Ctrl-C stops`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log.info('gradscope: stopping the server');
        void server.close().then(resolve);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return undefined;
  },
});
