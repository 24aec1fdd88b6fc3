/**
 * `gradscope serve`: the report of a study, live, from a small local HTTP server.
 *
 *   GET /         the report (the same sections as report.html, pieces to come marked),
 *                 rendered from the run directory's files at each request, plus a small
 *                 script that listens to /events and reloads the page when they change
 *   GET /events   server-sent events: "version" with the run's current fingerprint on
 *                 connecting and again whenever the fingerprint changes
 *
 * The fingerprint is the names, sizes and modification times of the files the report
 * reads (config.json, each seed's metrics.jsonl and analysis/, lines/, sharpness/), polled
 * every `pollMs`: the run writes each piece atomically or as one appended line, so any
 * change to it shows there. Nothing is written to the run directory.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { GradscopeFileError } from '../core/errors';
import { analysisDir, configFile, metricsFile } from '../store/run-paths';
import { linesDir, seedsDir, sharpnessDir } from '../store/study-paths';
import { studyModel } from './study-model';
import { studyReportHtml } from './study-report';
import { specsOnly } from './vega-lite';

export interface ServeOptions {
  port: number;
  host: string;
  pollMs?: number;
}

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

/** A hash of the names, sizes and modification times of what the report reads. */
export function runFingerprint(runDir: string): string {
  const files = [
    configFile(runDir),
    ...filesOf(linesDir(runDir)),
    ...filesOf(sharpnessDir(runDir)),
    ...filesOf(seedsDir(runDir)).flatMap((seed) => [
      metricsFile(seed),
      ...filesOf(analysisDir(seed)),
    ]),
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
    html = specsOnly(() => studyReportHtml(studyModel(runDir)));
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
  const listeners = new Set<http.ServerResponse>();
  let version = runFingerprint(runDir);
  let cached: { version: string; body: string } | undefined;
  const poll = setInterval(() => {
    const now = runFingerprint(runDir);
    if (now === version) return;
    version = now;
    for (const res of listeners) res.write(`event: version\ndata: ${version}\n\n`);
  }, options.pollMs ?? 1000);

  const server = http.createServer((req, res) => {
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

  return new Promise((resolve, reject) => {
    server.once('error', (error) => {
      clearInterval(poll);
      reject(error);
    });
    server.listen(options.port, options.host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
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
