/**
 * The bench's rows and columns (bench/rows.ts), structure only: no timing is measured or asserted here
 * (speed claims come from `npm run bench`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { useBackend } from '../packages/lossforge/test/helpers/backends.js';
import { benchRows, COLUMNS, ratios, selectRows, USER_N, workload } from '../bench/rows.js';

await useBackend('cpu');

test('every binary and regression row at [1024, 1024], [N] and [N, 1]; softmax at [B, K]; CTC', () => {
  const rows = benchRows();
  const names = rows.map((r) => r.name);
  assert.equal(new Set(names).size, names.length, 'row names are unique');
  for (const family of ['bce-logits', 'binary-focal', 'mse', 'huber']) {
    assert.deepEqual(
      rows.filter((r) => r.family === family).map((r) => r.shape),
      [[1024, 1024], [USER_N], [USER_N, 1]],
      family,
    );
  }
  assert.equal(USER_N, 1024 * 1024, 'the user shapes have as many elements as the square one');
  assert.deepEqual(rows.filter((r) => r.family === 'softmax-ce').map((r) => r.shape), [[256, 32768], [4096, 1000]]);
  // The rows of the previous bench keep their names, so results stay comparable across runs.
  for (const old of ['bce-logits 1024x1024', 'binary-focal 1024x1024', 'mse 1024x1024', 'huber 1024x1024', 'softmax-ce 256x32768', 'softmax-ce 4096x1000', 'ctc T200 B16 C40 S50']) {
    assert.ok(names.includes(old), old);
  }
  assert.deepEqual(names.filter((n) => n.startsWith('mse ')), ['mse 1024x1024', 'mse 1048576', 'mse 1048576x1']);
});

test('--only keeps the rows whose name contains the text', () => {
  assert.deepEqual(selectRows(benchRows(), 'huber 1048576x1').map((r) => r.name), ['huber 1048576x1']);
  assert.deepEqual(selectRows(benchRows(), 'softmax').map((r) => r.family), ['softmax-ce', 'softmax-ce']);
  assert.equal(selectRows(benchRows(), '').length, benchRows().length);
  assert.equal(selectRows(benchRows(), 'no such row').length, 0);
});

test('the columns: the original four, default settings and training mode on each backend', () => {
  const byName = new Map(COLUMNS.map((c) => [c.name, c]));
  for (const [name, backend, fused] of [['tfjs-cpu', 'cpu', false], ['tfjs-wasm', 'wasm', false], ['lossforge', 'cpu', true], ['lossforge-wasm', 'wasm', true]] as const) {
    assert.deepEqual(byName.get(name) && [byName.get(name)!.backend, byName.get(name)!.fused, byName.get(name)!.valueChecks, byName.get(name)!.sync], [backend, fused, false, 'gradient'], name);
  }
  for (const backend of ['cpu', 'wasm'] as const) {
    const defaults = COLUMNS.filter((c) => c.backend === backend && c.fused && c.valueChecks && c.sync === 'gradient');
    const train = COLUMNS.filter((c) => c.backend === backend && c.fused && c.valueChecks && c.sync === 'scalar');
    assert.equal(defaults.length, 1, `one default-settings column on ${backend}`);
    assert.equal(train.length, 1, `one training-mode column on ${backend}`);
  }
});

test('ratios: > 1 when lossforge is faster; undefined where a column is missing', () => {
  const q = ratios({
    'tfjs-cpu': 100, 'tfjs-wasm': 20, lossforge: 10, 'lossforge-wasm': 5,
    'lossforge default': 12, 'lossforge-wasm default': 6, 'lossforge train': 11, 'lossforge-wasm train': 4, pytorch: 8,
  });
  assert.deepEqual(q, { 'cpu vs tfjs': 10, 'wasm vs tfjs': 4, 'vs pytorch': 8 / 5, 'default vs pytorch': 8 / 6, 'train vs pytorch': 2, 'checks cost': 6 / 5 });
  assert.equal(ratios({ lossforge: 1 })['vs pytorch'], undefined);
});

test('the user-shaped rows build inputs of their shape and a scalar loss', () => {
  for (const row of benchRows().filter((r) => r.shape[0] === USER_N)) {
    const w = workload(row);
    const { yTrue, yPred } = w.make();
    assert.deepEqual(yPred.shape, row.shape, row.name);
    assert.deepEqual(yTrue.shape, row.shape, row.name);
    const value = w.loss(yTrue, yPred);
    assert.equal(value.rank, 0, row.name);
    assert.ok(Number.isFinite(value.dataSync()[0]!), row.name);
    tf.dispose([yTrue, yPred, value]);
  }
});

test('bench/torch_bench.py builds every row from its spec, at the spec\'s shape', () => {
  const script = fileURLToPath(new URL('../bench/torch_bench.py', import.meta.url));
  const program = [
    'import importlib.util, json, sys',
    `spec = importlib.util.spec_from_file_location("tb", ${JSON.stringify(script)}); tb = importlib.util.module_from_spec(spec); spec.loader.exec_module(tb)`,
    'rows = json.loads(sys.argv[1])',
    // Smaller shapes of the same rank and family: the structure is what is checked.
    'out = {}',
    'for r in rows:',
    '    r = dict(r, shape=[min(d, 8) for d in r["shape"]])',
    '    x, fn = tb.workload(r)',
    '    loss = fn(x.clone().requires_grad_(True))',
    '    out[r["name"]] = [list(x.shape), list(loss.shape)]',
    'print(json.dumps(out))',
  ].join('\n');
  const rows = benchRows();
  const out = JSON.parse(execFileSync('/usr/bin/python3', ['-c', program, JSON.stringify(rows)], { encoding: 'utf8' })) as Record<string, [number[], number[]]>;
  assert.deepEqual(Object.keys(out), rows.map((r) => r.name));
  for (const r of rows) assert.deepEqual(out[r.name], [r.shape.map((d) => Math.min(d, 8)), []], r.name);
});
