/**
 * `gradscope serve` on a machine shared with other pages and users (issue 27, item 8): a
 * request whose Host header names another site (a DNS-rebinding page) is refused with 403
 * while the served address is answered; connections over the cap are closed at once; out of
 * file descriptors (EMFILE, under `ulimit -n`) it logs one line and goes on serving instead
 * of dying of an uncaught exception in its poll.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { test } from 'node:test';
import { cli } from '../fixtures/cli-fixtures';
import { tempDir } from '../fixtures/data-fixtures';
import { hostAllowed } from '../../src/report/live-server';

/** A run directory the server polls (its folders exist, so each poll lists them). */
function runDir(): string {
  const dir = path.join(tempDir('gradscope-serve-limits-'), 'run');
  for (const sub of ['lines', 'sharpness', path.join('seeds', '0', 'analysis')])
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  return dir;
}

/** `gradscope serve DIR --port 0` (under `ulimit -n` when given), its URL and its stderr. */
async function serve(
  fdLimit?: number,
): Promise<{ child: ChildProcess; port: number; stderr: () => string }> {
  const args = [cli, 'serve', runDir(), '--port', '0', '--quiet'];
  const child =
    fdLimit === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('bash', ['-c', `ulimit -n ${fdLimit} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
        });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]!);
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
  return { child, port: Number(new URL(url).port), stderr: () => err };
}

/** The status of GET `pathname` with this Host header (undefined when the request fails). */
function statusFor(port: number, host: string, pathname = '/'): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathname, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      // an event stream does not end: its status is enough
      if (pathname === '/events') {
        resolve(res.statusCode);
        req.destroy();
      }
    });
    req.on('error', () => resolve(undefined));
  });
}

/** A connection holding an event stream open; `closed` resolves if the server drops it. */
function holdEvents(port: number): { socket: net.Socket; answered: Promise<boolean> } {
  const socket = net.connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  socket.on('connect', () =>
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`),
  );
  const answered = new Promise<boolean>((resolve) => {
    socket.once('data', () => resolve(true));
    socket.once('close', () => resolve(false));
  });
  return { socket, answered };
}

/** Ctrl-C: the server's exit code (null if it had died of a signal). */
const stopped = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
    child.on('exit', (code) => resolve(code));
    child.kill('SIGINT');
  });

/** Whatever a failed assertion left running is killed. */
const killed = (child: ChildProcess): void => {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
};

test('serve answers requests for its own address and refuses a foreign Host (DNS rebinding)', async () => {
  const { child, port } = await serve();
  try {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`])
      assert.equal(await statusFor(port, host), 200, host);
    assert.equal(await statusFor(port, `127.0.0.1:${port}`, '/events'), 200);
    for (const host of [
      `rebound.example:${port}`,
      'rebound.example',
      `127.0.0.1:${port + 1}`,
      `127.0.0.1.rebound.example:${port}`,
      `localhost:${port}@rebound.example`,
    ])
      assert.equal(await statusFor(port, host), 403, host);
    assert.equal(await statusFor(port, `rebound.example:${port}`, '/events'), 403);
    assert.equal(await stopped(child), 0);
  } finally {
    killed(child);
  }
});

test('serve closes connections over its cap of 64 and keeps serving the others', async () => {
  const { child, port, stderr } = await serve();
  const held = Array.from({ length: 100 }, () => holdEvents(port));
  try {
    const answered = await Promise.all(held.map((h) => h.answered));
    const served = answered.filter(Boolean).length;
    assert.equal(served, 64, `${served} of 100 connections served`);
    assert.match(stderr(), /more than 64 connections: new ones are closed/);
    for (const h of held) h.socket.destroy();
    // the capped connections gone, it answers again
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await statusFor(port, `127.0.0.1:${port}`), 200);
    assert.equal(await stopped(child), 0);
  } finally {
    for (const h of held) h.socket.destroy();
    killed(child);
  }
});

test('serve out of file descriptors (ulimit -n 48, 200 connections) logs a line and serves on', async () => {
  const { child, port, stderr } = await serve(48);
  const held = Array.from({ length: 200 }, () => holdEvents(port));
  try {
    await Promise.all(held.map((h) => h.answered));
    // two polls of the run directory with every descriptor taken
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(child.exitCode, null, `serve died: ${stderr()}`);
    for (const h of held) h.socket.destroy();
    let status: number | undefined;
    for (let tries = 0; tries < 50 && status !== 200; tries++) {
      await new Promise((r) => setTimeout(r, 100));
      status = await statusFor(port, `127.0.0.1:${port}`);
    }
    assert.equal(status, 200, 'it answers once descriptors are free');
    assert.match(stderr(), /^gradscope serve: .*EMFILE/m);
    assert.doesNotMatch(stderr(), /\n\s+at /, 'no stack trace');
    assert.equal(await stopped(child), 0);
  } finally {
    for (const h of held) h.socket.destroy();
    killed(child);
  }
});

test('the Host rule: the served address, loopback names, any IP when serving every interface', () => {
  const cases: [string | undefined, string, boolean][] = [
    ['127.0.0.1:8080', '127.0.0.1', true],
    ['[::1]:8080', '127.0.0.1', true],
    ['lab.example:8080', 'lab.example', true],
    ['LAB.example:8080', 'lab.example', true],
    ['[fe80::1]:8080', 'fe80::1', true],
    ['192.168.1.5:8080', '0.0.0.0', true],
    ['[fe80::1]:8080', '::', true],
    ['192.168.1.5:8080', '127.0.0.1', false],
    ['rebound.example:8080', '0.0.0.0', false],
    ['127.0.0.1:8081', '127.0.0.1', false],
    ['127.0.0.1', '127.0.0.1', false],
    ['', '127.0.0.1', false],
    [undefined, '127.0.0.1', false],
  ];
  for (const [header, host, allowed] of cases)
    assert.equal(hostAllowed(header, host, 8080), allowed, `${header} for --host ${host}`);
});
