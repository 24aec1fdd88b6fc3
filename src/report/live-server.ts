/**
 * `gradscope serve`: the report of a study or a switch study, live, from a small local HTTP
 * server.
 *
 *   GET /         the report (the same sections as report.html, pieces to come marked),
 *                 rendered from the run directory's files at each request, plus a small
 *                 script that listens to /events and reloads the page when they change
 *   GET /events   server-sent events: "version" with the run's current fingerprint on
 *                 connecting and again whenever the fingerprint changes
 *
 * The fingerprint is the names, sizes and modification times of the files the report
 * reads (config.json, each seed's metrics.jsonl, analysis/ and critical-batch files, lines/,
 * sharpness/; of each variant for a switch study), polled
 * every `pollMs`: the run writes each piece atomically or as one appended line, so any
 * change to it shows there. Nothing is written to the run directory.
 *
 * Hardened for a machine shared with other users and pages (issue 27):
 * - the Host header must name the address served (hostAllowed): a page of another site whose
 *   name was rebound to 127.0.0.1 (DNS rebinding) sends its own name and gets 403;
 * - at most MAX_CONNECTIONS connections at once; Node closes the ones over the cap at once;
 * - running out of file descriptors (EMFILE) or any other error of the poll, of accepting a
 *   connection or of a request is one line on the log (`warn`), not a crash: the server goes
 *   on and answers again once descriptors are free.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { GradscopeFileError } from '../core/errors';
import { holdsSwitchStudy, readConfigFile } from '../store/config-file';
import { criticalBatchDir, criticalBatchFile } from '../store/critical-batch';
import { analysisDir, configFile, metricsFile } from '../store/run-paths';
import { linesDir, seedsDir, sharpnessDir } from '../store/study-paths';
import { variantDir } from '../store/switch-study-paths';
import { studyModel } from './study-model';
import { studyReportHtml } from './study-report';
import { switchReportHtml } from './switch-report';
import { switchModel } from './switch-table';
import { specsOnly } from './vega-lite';

export interface ServeOptions {
  port: number;
  host: string;
  pollMs?: number;
  /** One line about an error the server survived (default: stderr). */
  warn?: (message: string) => void;
}

/** Connections served at once (the live page holds one open, for its events). */
export const MAX_CONNECTIONS = 64;

/** Addresses that listen on every interface: any of the machine's addresses may be asked. */
const UNSPECIFIED = new Set(['0.0.0.0', '::', '[::]']);

/**
 * Whether a request's Host header names this server: localhost, 127.0.0.1, [::1] or the
 * --host value (an IP address of the machine when that is 0.0.0.0 or ::), with its port. A
 * name an attacker's DNS points here is none of these.
 */
export function hostAllowed(header: string | undefined, host: string, port: number): boolean {
  if (!header) return false;
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(header.trim());
  if (!m) return false;
  const name = m[1]!.toLowerCase();
  if (Number(m[2] ?? 80) !== port) return false;
  const served = (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host).toLowerCase();
  if (['localhost', '127.0.0.1', '[::1]', served].includes(name)) return true;
  return UNSPECIFIED.has(served) && net.isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}

/** At most one line per message every 10 s: a flood of EMFILE errors stays one line. */
function rateLimited(warn: (message: string) => void): (message: string) => void {
  const last = new Map<string, number>();
  return (message) => {
    const now = Date.now();
    if (now - (last.get(message) ?? -Infinity) < 10_000) return;
    if (last.size > 100) last.clear();
    last.set(message, now);
    warn(message);
  };
}

const reason = (error: unknown): string =>
  (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);

export interface LiveServer {
  url: string;
  close(): Promise<void>;
}

function filesOf(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((n) => !n.startsWith('.'))
    .map((n) => path.join(dir, n));
}

/** What a study directory's report reads: lines, sharpness, and per seed its metrics, analysis
 * points and critical-batch measurement. */
function studyInputs(studyDir: string): string[] {
  return [
    ...filesOf(linesDir(studyDir)),
    ...filesOf(sharpnessDir(studyDir)),
    ...filesOf(seedsDir(studyDir)).flatMap((seed) => [
      metricsFile(seed),
      ...filesOf(analysisDir(seed)),
      criticalBatchFile(seed),
      ...filesOf(criticalBatchDir(seed)),
    ]),
  ];
}

/** The variants a switch study's config.json names (none where it names none). */
function variantNames(runDir: string): string[] {
  const variants = (readConfigFile(runDir).switchStudy as { variants?: unknown } | undefined)
    ?.variants;
  if (!Array.isArray(variants)) return [];
  return variants
    .map((v) => (v as { name?: unknown }).name)
    .filter((n): n is string => typeof n === 'string');
}

/** A hash of the names, sizes and modification times of what the report reads: a study's
 * files, or each variant's of a switch study. */
export function runFingerprint(runDir: string): string {
  const files = [
    configFile(runDir),
    ...(holdsSwitchStudy(runDir)
      ? variantNames(runDir).flatMap((v) => studyInputs(variantDir(runDir, v)))
      : studyInputs(runDir)),
  ];
  const hash = crypto.createHash('sha256');
  for (const f of files.sort()) {
    try {
      const st = fs.statSync(f);
      hash.update(`${f}\0${st.size}\0${st.mtimeMs}\n`);
    } catch {
      hash.update(`${f}\0-\n`); // absent, or removed between the listing and the stat
    }
  }
  return hash.digest('hex').slice(0, 16);
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The script of the live page: reload on a new version, keeping the scroll position. */
function liveScript(version: string): string {
  return `<div id="live-status" data-version="${version}" style="position:fixed;top:0;right:0;background:#e8f4e8;border:1px solid #9c9;padding:0.2em 0.6em;font-size:0.8em">live</div>
<script>
(function () {
  var shown = ${JSON.stringify(version)};
  var key = 'gradscope-scroll:' + location.pathname;
  var y = sessionStorage.getItem(key);
  if (y !== null) { window.scrollTo(0, Number(y)); sessionStorage.removeItem(key); }
  var status = document.getElementById('live-status');
  var events = new EventSource('/events');
  var reloading = null;
  events.addEventListener('version', function (e) {
    if (e.data === shown) { status.textContent = 'live: up to date'; return; }
    status.textContent = 'live: updating';
    // at most one reload a second, however fast the pieces land
    if (reloading) return;
    reloading = setTimeout(function () {
      sessionStorage.setItem(key, String(window.scrollY));
      events.close();
      location.reload();
    }, 1000);
  });
  events.onerror = function () { status.textContent = 'live: server gone'; };
})();
</script>`;
}

function waitingPage(runDir: string, version: string, why: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>gradscope: waiting</title></head><body style="font-family:sans-serif"><h1>Waiting for the run</h1><p class="pending">${esc(runDir)}: ${esc(why)}. This page reloads when it appears.</p>${liveScript(version)}</body></html>`;
}

/** The page for the run as it is now. */
export function livePage(runDir: string): string {
  const version = runFingerprint(runDir);
  let html: string;
  try {
    // the page draws its figures live: no static rendering at each change
    html = specsOnly(() =>
      holdsSwitchStudy(runDir)
        ? switchReportHtml(switchModel(runDir))
        : studyReportHtml(studyModel(runDir)),
    );
  } catch (error) {
    if (error instanceof GradscopeFileError || (error as NodeJS.ErrnoException).code === 'ENOENT')
      return waitingPage(runDir, version, (error as Error).message);
    throw error;
  }
  // the page's own </body> is the last one (the inlined libraries hold the string too)
  const end = html.lastIndexOf('</body>');
  return `${html.slice(0, end)}${liveScript(version)}\n${html.slice(end)}`;
}

export function serveStudy(runDir: string, options: ServeOptions): Promise<LiveServer> {
  const warn = rateLimited(
    options.warn ?? ((message) => process.stderr.write(`gradscope serve: ${message}\n`)),
  );
  const listeners = new Set<http.ServerResponse>();
  let version = runFingerprint(runDir);
  let cached: { version: string; body: string } | undefined;
  let port = options.port;
  const poll = setInterval(() => {
    try {
      const now = runFingerprint(runDir);
      if (now === version) return;
      version = now;
      for (const res of listeners) res.write(`event: version\ndata: ${version}\n\n`);
    } catch (error) {
      warn(`reading ${runDir} failed (${reason(error)}); trying again`);
    }
  }, options.pollMs ?? 1000);

  const server = http.createServer((req, res) => {
    if (!hostAllowed(req.headers.host, options.host, port)) {
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' });
      res.end(`gradscope serve: answers only requests for ${options.host} port ${port}\n`);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (url.pathname === '/events') {
      res.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      res.write(`event: version\ndata: ${version}\n\n`);
      listeners.add(res);
      req.on('close', () => listeners.delete(res));
      res.on('error', () => listeners.delete(res));
      return;
    }
    if (url.pathname === '/' || url.pathname === '/report.html') {
      try {
        // one rendering per state of the run, however many reloads ask for it
        const now = runFingerprint(runDir);
        if (cached?.version !== now) cached = { version: now, body: livePage(runDir) };
        const body = cached.body;
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'cache-control': 'no-store',
        });
        res.end(body);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EMFILE')
          warn('out of file descriptors (EMFILE): a page was refused; close some connections');
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`gradscope serve: ${(error as Error).message}\n`);
      }
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
  });

  server.maxConnections = MAX_CONNECTIONS;
  server.on('drop', () => warn(`more than ${MAX_CONNECTIONS} connections: new ones are closed`));

  return new Promise((resolve, reject) => {
    let listening = false;
    server.on('error', (error) => {
      if (listening) {
        // accept() out of descriptors (EMFILE) and the like: libuv retries, we go on
        warn(`accepting a connection failed (${reason(error)}); still serving`);
        return;
      }
      clearInterval(poll);
      reject(error);
    });
    server.listen(options.port, options.host, () => {
      listening = true;
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : options.port;
      const host = options.host.includes(':') ? `[${options.host}]` : options.host;
      resolve({
        url: `http://${host}:${port}/`,
        close: () =>
          new Promise<void>((done) => {
            clearInterval(poll);
            for (const res of listeners) res.end();
            listeners.clear();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
