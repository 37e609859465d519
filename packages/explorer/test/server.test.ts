/**
 * Serving the built app: the sirv server module, and `lossforge explore` as a real process (URL on
 * stdout, stops cleanly on SIGINT, readable errors for a taken port).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { APP_DIR, serveExplorer } from '../src/server/index.js';

const BIN = fileURLToPath(new URL('../../workbench/bin/lossforge.js', import.meta.url));
const built = existsSync(`${APP_DIR}index.html`);
const skip = built ? false : 'the explorer is not built (npm run build)';

test('the server serves the app, its bundle and the wasm binaries from its own origin, and 404s the rest', { skip }, async () => {
  const server = await serveExplorer({ port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.match(index.headers.get('content-type') ?? '', /text\/html/);
    const html = await index.text();
    assert.match(html, /<script type="module" src="main.js">/);
    assert.doesNotMatch(html, /https?:\/\//, 'no absolute URLs in the page');
    const script = await fetch(`${server.url}main.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    for (const file of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm']) {
      const wasm = await fetch(`${server.url}wasm/${file}`);
      assert.equal(wasm.status, 200, file);
      assert.equal(wasm.headers.get('content-type'), 'application/wasm', file);
      assert.deepEqual([...new Uint8Array(await wasm.arrayBuffer()).slice(0, 4)], [0, 0x61, 0x73, 0x6d], `${file} is WebAssembly`);
    }
    assert.equal((await fetch(`${server.url}nothing-here.js`)).status, 404);
    await assert.rejects(serveExplorer({ port: server.port }), /port \d+ is in use: choose another with --port/);
  } finally {
    await server.close();
  }
});

/** Runs the lossforge command; resolves with its output once `until` matches stdout (or it exits). */
function lossforge(args: string[], until?: RegExp) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const matched = new Promise<void>((resolve) => {
    if (!until) return resolve();
    child.stdout.on('data', () => until.test(stdout) && resolve());
    void exited.then(() => resolve());
  });
  return { child, exited, matched, out: () => stdout, err: () => stderr };
}

test('lossforge explore prints the URL, serves the app and stops on Ctrl-C with exit code 0', { skip, timeout: 30_000 }, async () => {
  const run = lossforge(['explore', '--port', '0'], /http:\/\/\S+\//);
  await run.matched;
  const url = /http:\/\/\S+\//.exec(run.out())?.[0];
  assert.ok(url, `a URL on stdout: ${run.out()} ${run.err()}`);
  assert.equal((await fetch(url)).status, 200);
  run.child.kill('SIGINT');
  assert.equal(await run.exited, 0);
  assert.match(run.out(), /stopped/);
  assert.equal(run.err(), '');
  await assert.rejects(fetch(url), 'the port is closed');
});

test('lossforge explore: a taken or impossible port is a one-line error, no stack trace', { skip, timeout: 30_000 }, async () => {
  const server = await serveExplorer({ port: 0 });
  try {
    const taken = lossforge(['explore', '--port', String(server.port)]);
    assert.equal(await taken.exited, 1);
    assert.equal(taken.err(), `lossforge: explore: port ${server.port} is in use: choose another with --port\n`);
  } finally {
    await server.close();
  }
  const impossible = lossforge(['explore', '--port', '70000']);
  assert.equal(await impossible.exited, 2);
  assert.match(impossible.err(), /--port must be at most 65535, got 70000/);
  const notNumber = lossforge(['explore', '--port', 'abc']);
  assert.equal(await notNumber.exited, 2);
  assert.match(notNumber.err(), /expected an integer ≥ 0, got 'abc'/);
});
