/**
 * `gradscope serve` in headless Chromium: opened before a tiny study starts, the page shows
 * the epochs the study writes afterwards, with no console errors and the pieces still to come
 * marked, then the finished run with nothing to come; it binds to 127.0.0.1 unless told, and
 * SIGINT (Ctrl-C) stops it with status 0.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { test } from 'node:test';
import { noChromium, openBrowser, watchedPage } from '../fixtures/browser';
import { cli, urlOf } from '../fixtures/cli-fixtures';
import { writeIdxFolder } from '../fixtures/data-fixtures';
import { smallStudy } from '../fixtures/study-fixture';

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}

/** The first line the server prints on stdout: its URL. */
function refused(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.on('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.on('error', () => resolve(true));
  });
}

test('serve shows a running study as it goes, with no console errors, on 127.0.0.1; Ctrl-C stops it', async (t) => {
  const skip = noChromium();
  if (skip) return t.skip(skip);
  const { dir, configFile } = smallStudy();
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  // process 1 long enough (more examples, more epochs) for the page to see it running with
  // the arms to come
  const data = path.join(dir, 'more-data');
  fs.mkdirSync(data);
  writeIdxFolder(data, false, [3000, 100]);
  const process1 = { ...config.process1, epochs: 8 };
  fs.writeFileSync(
    configFile,
    JSON.stringify({ ...config, data, seeds: [0], sharpness: undefined, process1 }),
  );
  const runDir = path.join(dir, 'run');

  const server = spawn(process.execPath, [cli, 'serve', runDir, '--port', '0', '--quiet'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let study: ChildProcess | undefined;
  const { browser, close } = await openBrowser();
  try {
    const url = new URL(await urlOf(server));
    assert.equal(url.hostname, '127.0.0.1', 'loopback by default');
    const outside = Object.values(os.networkInterfaces())
      .flat()
      .find((a) => a && a.family === 'IPv4' && !a.internal);
    if (outside) assert.ok(await refused(outside.address, Number(url.port)), outside.address);

    const { page, problems } = await watchedPage(browser, url.origin);
    // opened before the study exists: it waits, then shows what the study writes
    await page.goto(url.href);
    assert.equal(await page.locator('h1').innerText(), 'Waiting for the run');
    study = spawn(
      process.execPath,
      [cli, 'run', configFile, '--threads', '1', '--quiet', '--out', runDir],
      { stdio: 'ignore' },
    );
    const studyDone = exited(study);
    // what the page shows, polled across its reloads (an evaluation a reload cuts off is skipped)
    const STATE = `(() => {
      const td = document.querySelector('#summary-table td[data-phase="process1"]');
      const pending = document.querySelector('[data-pending="progress"]');
      return {
        process1: td ? td.parentElement.textContent : null,
        pending: pending ? pending.textContent : null,
        arm50: !!document.querySelector('#summary-table td[data-phase="arm-50"]'),
        marks: document.querySelectorAll('[data-pending]').length,
      };
    })()`;
    type State = { process1: string | null; pending: string | null; arm50: boolean; marks: number };
    const seen: State[] = [];
    const until = async (done: (s: State) => boolean, ms: number): Promise<State> => {
      for (const end = Date.now() + ms; Date.now() < end;) {
        try {
          const s = (await page.evaluate(STATE)) as State;
          seen.push(s);
          if (process.env.SERVE_DEBUG)
            console.error(Date.now() % 100000, JSON.stringify(s).slice(0, 120));
          if (done(s)) return s;
        } catch {
          // the page reloaded mid-evaluation
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      const distinct = [...new Set(seen.map((x) => JSON.stringify(x)))];
      assert.fail(`not seen in ${ms} ms; states seen: ${distinct.join(' ')}`);
    };
    // an epoch of process 1, written after the page was opened, with the arms still to come:
    // the study is frozen (SIGSTOP) once that epoch is on disk, so a fast machine cannot finish
    // the study before the page has shown it running
    const metrics = path.join(runDir, 'seeds', '0', 'metrics.jsonl');
    const firstEpoch = (): boolean =>
      fs.existsSync(metrics) &&
      fs.readFileSync(metrics, 'utf8').includes('"kind":"epoch","phase":"process1"');
    for (const end = Date.now() + 60_000; !firstEpoch();) {
      if (Date.now() > end || study.exitCode !== null)
        assert.fail(`no epoch of process 1 in ${metrics}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    study.kill('SIGSTOP');
    let running: State;
    try {
      running = await until((s) => s.process1 !== null && s.pending !== null, 40_000);
    } finally {
      study.kill('SIGCONT');
    }
    assert.match(running.process1!, /process 1/);
    assert.match(running.pending!, /To come: .*arm-50/);
    assert.equal(await studyDone, 0);
    // the finished run: every arm, nothing to come
    await until((s) => s.arm50 && s.marks === 0, 30_000);
    await page.waitForSelector('figure[data-figure="line-seed-0-arm-10-arm-50"]');
    // the live noise scale's section too
    for (const id of [
      'summary',
      'training',
      'live-noise-scale',
      'experiment-a',
      'experiment-b',
      'beyond',
      'config',
    ])
      assert.equal(await page.locator(`section#${id}`).count(), 1, id);
    assert.deepEqual(problems, []);
    server.kill('SIGINT');
    assert.equal(await exited(server), 0, 'Ctrl-C stops the server cleanly');
  } finally {
    await close();
    study?.kill('SIGKILL');
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  }
});

test('serve refuses a training run that is not a study, pointing to TensorBoard', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gradscope-serve-'));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ config: {} }));
  const r = spawnSync(process.execPath, [cli, 'serve', dir, '--port', '0'], { encoding: 'utf8' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /not a study.*tensorboard --logdir/);
  fs.rmSync(dir, { recursive: true, force: true });
});
