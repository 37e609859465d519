/**
 * @lossforge/workbench as users get it: the packed tarball (with the packed lossforge beside it) in a
 * scratch project, the `lossforge` command from its bin, and the programmatic API from the package entry.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack, scratchProject } from '../../lossforge/test/helpers/pack.js';

describe('the packed @lossforge/workbench', () => {
  const destination = mkdtempSync(join(tmpdir(), 'workbench-pack-'));
  const library = pack('lossforge', destination);
  const workbench = pack('workbench', destination);
  const paths = workbench.files.map((f) => f.path);

  test('holds the build, the bin, the datasets with their licences, LICENSE and README; no tests or sources', () => {
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'bin/lossforge.js', 'dist/index.js', 'dist/index.d.ts', 'dist/core.js', 'dist/core.d.ts', 'dist/cli/main.js', 'dist/worker.js', 'datasets/README.md', 'datasets/iris.csv']) {
      assert.ok(paths.includes(needed), `${needed} is in the tarball`);
    }
    assert.deepEqual(paths.filter((p) => /(^|\/)(test|src)\//.test(p) || p.endsWith('.map') || (p.endsWith('.ts') && !p.endsWith('.d.ts'))), []);
  });

  test('the lossforge command runs from the installed bin; the entry exports the study API', () => {
    const project = scratchProject([library, workbench], 'module');
    const bin = join(project, 'node_modules/@lossforge/workbench/bin/lossforge.js');
    const help = spawnSync(process.execPath, [bin, '--help'], { cwd: project, encoding: 'utf8' });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /compare/);
    assert.match(help.stdout, /advise/);

    writeFileSync(join(project, 'study.mjs'), `
      import { COMPARE_DEFAULTS, diagnose, loadDataset, recommend, renderCompareReport, runCompare } from '@lossforge/workbench';
      import { compareOn, compareReportHtml } from '@lossforge/workbench/core';
      const data = loadDataset('builtin:iris');
      const advice = recommend(diagnose(data));
      const result = await runCompare({ ...COMPARE_DEFAULTS, data: 'builtin:iris', losses: ['sparseCategoricalCrossentropy', 'categoricalCrossentropy'],
        folds: 2, repeats: 1, epochs: 2, workers: 1 });
      const html = renderCompareReport(result);
      console.log(JSON.stringify({ rows: data.n, advice: advice.length, ranked: result.losses.map((l) => l.rank), html: html.startsWith('<!doctype html>'), core: [compareOn, compareReportHtml].every((f) => typeof f === 'function') }));
    `);
    const study = spawnSync(process.execPath, ['study.mjs'], { cwd: project, encoding: 'utf8' });
    assert.equal(study.status, 0, study.stderr);
    const out = JSON.parse(study.stdout) as { rows: number; advice: number; ranked: number[]; html: boolean; core: boolean };
    assert.equal(out.rows, 150);
    assert.ok(out.advice > 0, 'advise recommends at least one loss');
    assert.deepEqual(out.ranked, [1, 2]);
    assert.equal(out.html, true);
    assert.equal(out.core, true, 'the browser-safe entry @lossforge/workbench/core is exported');
  });
});
