/**
 * report.html: one page, charts drawn by vega-embed with the SVG renderer. Browser-safe: the vega,
 * vega-lite and vega-embed builds come in as `scripts` (<script> elements) — inlined from node_modules
 * by the Node edge (node.ts: `vegaScripts`, `renderCompareReport`), so that the file works offline; the
 * explorer links its own copies. `window.__lossforgeReport` resolves when every chart has rendered
 * (the browser tests wait on it).
 */
import type { CompareResult } from './compare.js';
import { epochsText, formatNumber, formatP, formatParam, lossEpochsText, trialsBestFirst } from './format.js';
import { METRICS } from './metrics.js';
import { MAX_EPOCHS } from './train.js';
import { parseSpace } from './space.js';
import type { TuneResult } from './tune.js';

/** The browser builds a report loads, in order: [package, file inside the package]. */
export const VEGA_BUILDS = [
  ['vega', 'build/vega.min.js'],
  ['vega-lite', 'build/vega-lite.min.js'],
  ['vega-embed', 'build/vega-embed.min.js'],
] as const;

/** A script's source as an inline <script> element (a `</script` inside it escaped). */
export function inlineScript(name: string, source: string): string {
  return `<script>/* ${name} */\n${source.replace(/<\/(script)/gi, '<\\/$1')}\n</script>`;
}

/** Escapes the five HTML special characters. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** JSON safe to put inside a <script> element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export interface Chart {
  id: string;
  title: string;
  description: string;
  spec: Record<string, unknown>;
}

export interface ReportPage {
  title: string;
  /** Trusted HTML (built here with escapeHtml). */
  summaryHtml: string;
  tableHtml: string;
  charts: Chart[];
  /** Embedded as JSON for readers who want the numbers. */
  data: unknown;
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto; max-width: 1200px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
.meta { color: #555; } table { border-collapse: collapse; margin: 1rem 0; font-variant-numeric: tabular-nums; }
th, td { padding: .3rem .5rem; border-bottom: 1px solid #e5e5e5; text-align: right; white-space: nowrap; } th { background: #f6f6f6; white-space: normal; } td.l { white-space: normal; }
td.l, th.l { text-align: left; } tr.best td { font-weight: 600; } .sig { color: #b00020; } .note { color: #666; font-size: .9rem; }
.chart, .chart.vega-embed { display: block; max-width: 100%; margin: .5rem 0 1.5rem; overflow-x: auto; } .warn { color: #8a5a00; }
/* Wide tables scroll inside their own box, so the page never scrolls sideways (checked at 420 px). */
.table-wrap { overflow-x: auto; max-width: 100%; margin: 1rem 0; } .table-wrap table { margin: 0; }
p { overflow-wrap: anywhere; }
@media (max-width: 600px) { body { margin: 1rem auto; padding: 0 .5rem; } th, td { padding: .25rem .4rem; } }
`;

/** Builds the page; `scripts` are the vega, vega-lite and vega-embed builds as <script> elements. */
export function renderPage(page: ReportPage, scripts: string): string {
  const charts = page.charts
    .map((c) => `<h2>${escapeHtml(c.title)}</h2>\n<p class="note">${escapeHtml(c.description)}</p>\n<div class="chart" id="chart-${c.id}"></div>`)
    .join('\n');
  const specs = Object.fromEntries(page.charts.map((c) => [c.id, c.spec]));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
${scripts}
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
${page.summaryHtml}
${page.tableHtml}
${charts}
<script type="application/json" id="lossforge-data">${scriptJson(page.data)}</script>
<script>
(function () {
  var specs = ${scriptJson(specs)};
  var ids = Object.keys(specs);
  window.__lossforgeReport = Promise.all(ids.map(function (id) {
    return vegaEmbed('#chart-' + id, specs[id], { renderer: 'svg', actions: false })
      .then(function () { return { id: id, ok: true }; })
      .catch(function (error) {
        console.error('chart ' + id + ': ' + error);
        document.getElementById('chart-' + id).textContent = 'This chart could not be drawn: ' + error;
        return { id: id, ok: false, error: String(error) };
      });
  }));
})();
</script>
</body>
</html>
`;
}

/** Loss colours; the legend shows whole labels (vega's default cuts them at 160 px). */
const lossColor = (labels: string[]) => ({ field: 'loss', type: 'nominal', title: 'loss', scale: { domain: labels }, legend: { labelLimit: 420 } });

/**
 * Axes of wrapped facets (one panel per loss, 3 per row): every panel draws its own axes. With shared
 * axes vega-lite draws the x axis under each column's bottom cell, so a short last row shows an axis
 * under an empty cell — which reads as an empty panel.
 */
const FACET_AXES = { axis: { x: 'independent', y: 'independent' } };

function compareCharts(result: CompareResult): Chart[] {
  const labels = result.losses.map((l) => l.label);
  const charts: Chart[] = [];
  const n = result.settings.folds * result.settings.repeats;

  charts.push({
    id: 'distributions',
    title: 'Metric distributions over test folds',
    description: `Each point is one of the ${n} test folds; boxes show min–max and quartiles. Losses in ranking order.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      vconcat: result.metrics.map((m) => ({
        title: `${METRICS[m]!.label} (${METRICS[m]!.higherIsBetter ? 'higher' : 'lower'} is better)`,
        width: 520,
        data: { values: result.splits.map((s) => ({ loss: s.label, value: s.metrics[m], split: `r${s.repeat + 1}f${s.fold + 1}` })).filter((r) => Number.isFinite(r.value)) },
        layer: [
          { mark: { type: 'boxplot', extent: 'min-max', opacity: 0.35 }, encoding: { y: { field: 'loss', type: 'nominal', sort: labels, title: null, axis: { labelLimit: 360 } }, x: { field: 'value', type: 'quantitative', title: METRICS[m]!.label, scale: { zero: false } }, color: { ...lossColor(labels), legend: null } } },
          { mark: { type: 'point', filled: true, size: 30 }, encoding: { y: { field: 'loss', type: 'nominal', sort: labels }, x: { field: 'value', type: 'quantitative' }, color: { ...lossColor(labels), legend: null }, tooltip: [{ field: 'loss' }, { field: 'split' }, { field: 'value', format: '.4f' }] } },
        ],
      })),
    },
  });

  charts.push({
    id: 'curves',
    title: 'Learning curves',
    description: 'Training loss and validation loss per epoch (early stopping: a validation split of the training fold; a fixed --epochs budget: the test fold, recorded only), averaged over folds. Each panel is in its own loss\'s units, so compare shapes, not heights.',
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      data: {
        values: result.losses.flatMap((l) =>
          l.curve.flatMap((c) => [
            { loss: l.label, epoch: c.epoch, split: 'train', value: c.loss },
            { loss: l.label, epoch: c.epoch, split: 'validation', value: c.valLoss },
          ]),
        ).filter((r) => Number.isFinite(r.value)),
      },
      facet: { field: 'loss', type: 'nominal', sort: labels, title: null },
      columns: 3,
      resolve: { ...FACET_AXES, scale: { y: 'independent' } },
      spec: { width: 220, height: 140, mark: { type: 'line', point: false }, encoding: { x: { field: 'epoch', type: 'quantitative' }, y: { field: 'value', type: 'quantitative', title: 'loss', scale: { zero: false } }, color: { field: 'split', type: 'nominal', scale: { domain: ['train', 'validation'] } }, tooltip: [{ field: 'split' }, { field: 'epoch' }, { field: 'value', format: '.4f' }] } },
    },
  });

  if (result.dataset.task !== 'regression') {
    const classes = result.dataset.classes;
    charts.push({
      id: 'confusion',
      title: 'Confusion matrices',
      description: `Test-fold predictions summed over all ${n} folds (${result.settings.repeats} predictions per row). Rows: actual class; columns: predicted.`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        data: {
          values: result.losses.flatMap((l) => {
            const cm = l.confusion ?? [];
            return cm.flatMap((row, a) => {
              const total = row.reduce((x, y) => x + y, 0) || 1;
              return row.map((count, p) => ({ loss: l.label, actual: classes[a], predicted: classes[p], count, share: count / total }));
            });
          }),
        },
        facet: { field: 'loss', type: 'nominal', sort: labels, title: null },
        columns: 3,
        resolve: FACET_AXES,
        spec: {
          width: Math.min(260, 40 + 22 * classes.length),
          height: Math.min(260, 40 + 22 * classes.length),
          encoding: { x: { field: 'predicted', type: 'ordinal', sort: classes }, y: { field: 'actual', type: 'ordinal', sort: classes } },
          layer: [
            { mark: 'rect', encoding: { color: { field: 'share', type: 'quantitative', scale: { scheme: 'blues', domain: [0, 1] }, title: 'row share' }, tooltip: [{ field: 'actual' }, { field: 'predicted' }, { field: 'count' }, { field: 'share', format: '.1%' }] } },
            ...(classes.length <= 12 ? [{ mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'count', type: 'quantitative' }, color: { condition: { test: 'datum.share > 0.5', value: 'white' }, value: 'black' } } }] : []),
          ],
        },
      },
    });
    const binary = result.dataset.task === 'binary';
    charts.push({
      id: 'calibration',
      title: 'Calibration (reliability diagram)',
      description: binary
        ? 'Mean predicted probability of the positive class against the observed share of positives, in 10 bins, over all test folds. The diagonal is perfect calibration. Margin losses (hinge) are mapped to probabilities by Platt scaling fitted on each training fold.'
        : 'Confidence of the predicted class against its accuracy, in 10 bins, over all test folds. The diagonal is perfect calibration. categoricalHinge scores go through temperature scaling fitted on each training fold.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: 420,
        height: 360,
        layer: [
          { data: { values: [{ x: 0, y: 0, x2: 1, y2: 1 }] }, mark: { type: 'rule', strokeDash: [4, 4], color: '#999' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, x2: { field: 'x2' }, y2: { field: 'y2' } } },
          {
            data: { values: result.losses.flatMap((l) => (l.calibration ?? []).map((b) => ({ loss: l.label, ...b }))) },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'predicted', type: 'quantitative', scale: { domain: [0, 1] }, title: binary ? 'mean predicted P(positive)' : 'mean confidence' },
              y: { field: 'observed', type: 'quantitative', scale: { domain: [0, 1] }, title: binary ? 'observed share of positives' : 'accuracy' },
              color: lossColor(labels),
              tooltip: [{ field: 'loss' }, { field: 'predicted', format: '.3f' }, { field: 'observed', format: '.3f' }, { field: 'count' }],
            },
          },
        ],
      },
    });
  } else {
    charts.push({
      id: 'residuals',
      title: 'Residuals',
      description: 'Out-of-fold predictions of the first repeat: residual (actual − predicted) against predicted value.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        data: { values: result.losses.flatMap((l) => (l.residuals ?? []).map((r) => ({ loss: l.label, predicted: r.yHat, residual: r.y - r.yHat, actual: r.y }))) },
        facet: { field: 'loss', type: 'nominal', sort: labels, title: null },
        columns: 3,
        resolve: FACET_AXES,
        spec: {
          width: 220,
          height: 160,
          layer: [
            { mark: { type: 'point', opacity: 0.5, size: 14 }, encoding: { x: { field: 'predicted', type: 'quantitative', scale: { zero: false } }, y: { field: 'residual', type: 'quantitative' }, tooltip: [{ field: 'actual' }, { field: 'predicted', format: '.3f' }] } },
            { mark: { type: 'rule', color: '#999' }, encoding: { y: { datum: 0 } } },
          ],
        },
      },
    });
  }
  return charts;
}

function compareTable(result: CompareResult): string {
  const metric = result.settings.metric;
  const head = `<tr><th>#</th><th class="l">loss</th>${result.metrics.map((m) => `<th>${escapeHtml(METRICS[m]!.label)}${m === metric ? ' ▼' : ''}</th>`).join('')}<th>p vs best (Holm)</th><th>epochs</th><th class="l">output</th></tr>`;
  const rows = result.losses
    .map((l) => {
      const cells = result.metrics.map((m) => `<td>${formatNumber(l.metrics[m]!.mean)} ± ${formatNumber(l.metrics[m]!.std)}</td>`).join('');
      const versus = l.vsBest ? `<td class="${l.vsBest.significant ? 'sig' : ''}">${formatP(l.vsBest.pHolm)}${l.vsBest.significant ? ' * worse' : ''}</td>` : '<td>best</td>';
      const output = `${l.activation}${l.head === 'logits' ? ' (fromLogits)' : l.head === 'margin' ? ' (scores)' : ''}`;
      return `<tr class="${l.rank === 1 ? 'best' : ''}"><td>${l.rank}</td><td class="l">${escapeHtml(l.label)}</td>${cells}${versus}<td>${escapeHtml(lossEpochsText(l))}</td><td class="l">${escapeHtml(output)}</td></tr>`;
    })
    .join('\n');
  return `<h2>Ranking</h2>
<div class="table-wrap"><table id="ranking">
${head}
${rows}
</table></div>
<p class="note">Ranked by ${escapeHtml(METRICS[metric]!.label)}: mean ± standard deviation over ${result.settings.folds * result.settings.repeats} test folds.
p: Nadeau–Bengio corrected resampled t-test of each loss against the best on the ranking metric (df = ${result.settings.folds * result.settings.repeats - 1},
variance inflated by n_test/n_train = ${result.settings.testTrainRatio.toFixed(3)} for the overlap of training sets), Holm-adjusted;
<span class="sig">* worse</span> = significantly worse at α = ${result.settings.alpha}.</p>`;
}

/** The verdict in words and its caveats, for the report's first screen. */
function verdictHtml(result: CompareResult): string {
  const v = result.verdict;
  return `<div id="verdict"><p><b>Verdict.</b> ${escapeHtml(v.text)}</p>
${v.caveats.map((c) => `<p class="warn">Caveat: ${escapeHtml(c)}</p>`).join('\n')}</div>`;
}

/**
 * report.html of a comparison: summary, ranking table, metric distributions, learning curves, confusion
 * and calibration (classification) or residuals (regression). `scripts`: see `renderPage`.
 */
export function compareReportHtml(result: CompareResult, scripts: string): string {
  const d = result.dataset;
  const s = result.settings;
  const classes = d.task === 'regression' ? '' : ` Classes: ${d.classes.map((c, i) => `${escapeHtml(c)} (${d.classCounts[i]})`).join(', ')}.`;
  const summary = `<p class="meta">Data <b>${escapeHtml(d.source)}</b>, target <b>${escapeHtml(d.target)}</b> (${d.task}), ${d.rows} rows, ${d.featureColumns} feature columns.${classes}
${d.missingCells > 0 ? ` ${d.missingCells} missing feature values imputed with each training fold's median/mode.` : ''}</p>
<p class="meta">${s.repeats}× repeated ${s.folds}-fold${d.task === 'regression' ? '' : ' stratified'} cross-validation; model ${escapeHtml(s.model)}, ${escapeHtml(epochsText(s))}, batch ${s.batchSize}, Adam lr ${s.learningRate}, seed ${s.seed}.
Features standardized and imputed per training fold. ${result.timing.trainings} trainings in ${result.timing.seconds.toFixed(1)} s.</p>
${d.warnings.map((w) => `<p class="warn">Warning: ${escapeHtml(w)}</p>`).join('\n')}
${verdictHtml(result)}`;
  return renderPage({
    title: `lossforge compare — ${d.source}`,
    summaryHtml: summary,
    tableHtml: compareTable(result),
    charts: compareCharts(result),
    data: result,
  }, scripts);
}

// ───────────────────────────── tune ─────────────────────────────


function tuneCharts(result: TuneResult): Chart[] {
  const metric = result.study.metric;
  const higher = result.study.higherIsBetter;
  let best = NaN;
  const history = result.trials.map((t) => {
    if (!t.pruned && Number.isFinite(t.score) && (Number.isNaN(best) || (higher ? t.score > best : t.score < best))) best = t.score;
    return { trial: t.trial, score: t.score, status: t.pruned ? 'pruned' : 'complete', best, folds: t.foldScores.length, ...t.params };
  });
  const space = parseSpace(result.study.space);
  const dims = [...space.map((d) => d.name), 'score'];
  const scores = result.trials.map((t) => t.score).filter(Number.isFinite);
  const [sMin, sMax] = [Math.min(...scores), Math.max(...scores)];
  const norm = (v: number, lo: number, hi: number) => (hi > lo ? (v - lo) / (hi - lo) : 0.5);
  const parallel = result.trials.flatMap((t) =>
    dims.map((name) => {
      const d = space.find((s) => s.name === name);
      const raw = name === 'score' ? t.score : t.params[name]!;
      let y: number;
      if (!d) y = norm(t.score, sMin, sMax);
      else if (d.kind === 'categorical') y = d.choices.length > 1 ? d.choices.indexOf(raw) / (d.choices.length - 1) : 0.5;
      else y = d.log ? norm(Math.log(raw as number), Math.log(d.low), Math.log(d.high)) : norm(raw as number, d.low, d.high);
      return { trial: t.trial, dim: name, y, raw: formatParam(raw), score: t.score, status: t.pruned ? 'pruned' : 'complete' };
    }),
  );
  const fmt = (v: number) => String(Number(v.toPrecision(3)));
  const axisLabels = dims.flatMap((name) => {
    const d = space.find((x) => x.name === name);
    if (d?.kind === 'categorical') return d.choices.map((c, i) => ({ dim: name, y: d.choices.length > 1 ? i / (d.choices.length - 1) : 0.5, label: String(c) }));
    const [lo, hi] = d ? [d.low, d.high] : [sMin, sMax];
    return [{ dim: name, y: 0, label: fmt(lo) }, { dim: name, y: 1, label: fmt(hi) }];
  });
  return [
    {
      id: 'history',
      title: 'Optimization history',
      description: `${METRICS[metric]!.label} of each trial (pruned trials: the mean of the folds they ran) and the best complete trial so far.`,
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: 640,
        height: 300,
        data: { values: history },
        layer: [
          { mark: { type: 'point', filled: true, size: 50 }, encoding: { x: { field: 'trial', type: 'quantitative', axis: { format: 'd', tickMinStep: 1 } }, y: { field: 'score', type: 'quantitative', title: METRICS[metric]!.label, scale: { zero: false } }, color: { field: 'status', type: 'nominal', scale: { domain: ['complete', 'pruned'], range: ['#1f77b4', '#bbbbbb'] } }, tooltip: [{ field: 'trial' }, { field: 'score', format: '.4f' }, { field: 'status' }, { field: 'folds' }, ...space.map((d) => ({ field: d.name }))] } },
          { mark: { type: 'line', interpolate: 'step-after', color: '#d62728' }, encoding: { x: { field: 'trial', type: 'quantitative' }, y: { field: 'best', type: 'quantitative' } } },
        ],
      },
    },
    {
      id: 'parallel',
      title: 'Parallel coordinates',
      description: 'One line per trial across the searched parameters (each axis scaled to its range; log axes in log space) and the score. Darker lines score better.',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
        width: Math.max(320, 140 * dims.length),
        height: 300,
        data: { values: parallel },
        layer: [
          { mark: { type: 'line', opacity: 0.6 }, encoding: { x: { field: 'dim', type: 'nominal', sort: dims, title: null, axis: { labelAngle: 0 } }, y: { field: 'y', type: 'quantitative', axis: null }, detail: { field: 'trial', type: 'nominal' }, color: { field: 'score', type: 'quantitative', scale: { scheme: 'viridis', reverse: higher }, title: METRICS[metric]!.label }, strokeDash: { field: 'status', type: 'nominal', scale: { domain: ['complete', 'pruned'], range: [[1, 0], [3, 3]] } } } },
          { mark: { type: 'point', size: 14, filled: true, color: '#444' }, encoding: { x: { field: 'dim', type: 'nominal', sort: dims }, y: { field: 'y', type: 'quantitative' }, tooltip: [{ field: 'trial' }, { field: 'dim' }, { field: 'raw' }, { field: 'score', format: '.4f' }] } },
          { data: { values: axisLabels }, mark: { type: 'text', align: 'left', dx: 6, fontSize: 10, color: '#333' }, encoding: { x: { field: 'dim', type: 'nominal', sort: dims }, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } } },
        ],
      },
    },
  ];
}

function tuneTable(result: TuneResult): string {
  const names = parseSpace(result.study.space).map((d) => d.name);
  const sorted = trialsBestFirst(result.trials, result.study.higherIsBetter);
  const head = `<tr><th>trial</th>${names.map((n) => `<th>${escapeHtml(n)}</th>`).join('')}<th>${escapeHtml(METRICS[result.study.metric]!.label)}</th><th>folds</th><th class="l">status</th><th>seconds</th></tr>`;
  const rows = sorted
    .map((t) => {
      const cells = names.map((n) => `<td>${escapeHtml(formatParam(t.params[n]))}</td>`).join('');
      return `<tr class="${t === result.best ? 'best' : ''}"><td>${t.trial}</td>${cells}<td>${formatNumber(t.score)}</td><td>${t.foldScores.length}</td><td class="l">${t.pruned ? 'pruned' : 'complete'}</td><td>${t.seconds.toFixed(1)}</td></tr>`;
    })
    .join('\n');
  return `<h2>Trials</h2>\n<div class="table-wrap"><table id="trials">\n${head}\n${rows}\n</table></div>`;
}

/** report.html of a tuning study: summary with the best trial, the trials table, optimization history and parallel coordinates. `scripts`: see `renderPage`. */
export function tuneReportHtml(result: TuneResult, scripts: string): string {
  const s = result.study;
  const best = result.best;
  const bestText = best
    ? `Best trial <b>#${best.trial}</b>: ${escapeHtml(METRICS[s.metric]!.label)} <b>${formatNumber(best.score)}</b> with ${Object.entries(best.params)
        .map(([k, v]) => `${escapeHtml(k)} = <b>${escapeHtml(formatParam(v))}</b>`)
        .join(', ')}.`
    : 'No trial finished.';
  const summary = `<p class="meta">Loss <b>${escapeHtml(JSON.stringify(s.loss))}</b> on <b>${escapeHtml(s.data)}</b> → ${escapeHtml(s.target)} (${s.task});
search space <code>${escapeHtml(s.space)}</code>; ${escapeHtml(s.sampler)} sampler, ${result.trials.length} trials (${result.trials.filter((t) => t.pruned).length} pruned${s.pruning ? ' by the median rule' : ''}).
${s.repeats}×${s.folds}-fold CV, ${escapeHtml(s.model)}, ${s.epochs === null ? `early stopping (at most ${MAX_EPOCHS} epochs)` : `${s.epochs} epochs`}, batch ${s.batchSize}, lr ${s.learningRate}, seed ${s.seed}.</p>
<p>${bestText}</p>`;
  return renderPage({ title: `lossforge tune — ${String(s.loss['name'])}`, summaryHtml: summary, tableHtml: tuneTable(result), charts: tuneCharts(result), data: result }, scripts);
}
