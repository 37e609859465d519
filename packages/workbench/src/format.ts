/** Plain-text tables for the terminal. */
import type { CompareResult, LossSummary } from './compare.js';
import { MAX_EPOCHS, PATIENCE } from './train.js';
import { METRICS } from './metrics.js';
import { parseSpace, type ParamValue } from './space.js';
import type { TrialRecord } from './journal.js';
import type { TuneResult } from './tune.js';

/** A number with a sensible count of decimals for its size. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  const a = Math.abs(v);
  if (a >= 1000) return v.toFixed(0);
  if (a >= 100) return v.toFixed(1);
  if (a >= 10) return v.toFixed(2);
  return v.toFixed(3);
}

/** A p-value to 3 decimals, `<0.001` below that, `n/a` for NaN. */
export function formatP(p: number): string {
  if (Number.isNaN(p)) return 'n/a';
  if (p < 0.001) return '<0.001';
  return p.toFixed(3);
}

/** A sampled parameter value: numbers to 4 significant digits, anything else as is. */
export function formatParam(v: ParamValue | undefined): string {
  return typeof v === 'number' ? String(Number(v.toPrecision(4))) : String(v);
}

/** Trials best first: complete trials by score, then pruned ones by score. */
export function trialsBestFirst(trials: readonly TrialRecord[], higherIsBetter: boolean): TrialRecord[] {
  return [...trials].sort((a, b) => (a.pruned !== b.pruned ? (a.pruned ? 1 : -1) : higherIsBetter ? b.score - a.score : a.score - b.score));
}

/** Pads columns to equal width; `align` per column: l or r. */
export function table(rows: string[][], align: ('l' | 'r')[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => [...(r[c] ?? '')].length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => {
          const pad = ' '.repeat(widths[c]! - [...cell].length);
          return align[c] === 'r' ? pad + cell : cell + pad;
        })
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** How long each training ran: `N epochs` (fixed) or `early stopping (patience P, at most N epochs)`. */
export function epochsText(settings: CompareResult['settings']): string {
  return settings.earlyStopping ? `early stopping (patience ${PATIENCE}, at most ${settings.maxEpochs} epochs)` : `${settings.maxEpochs} epochs`;
}

/** Epochs a loss's trainings used: `mean (min–max)`. */
export function lossEpochsText(loss: LossSummary): string {
  const { mean, min, max } = loss.epochs;
  return min === max ? String(min) : `${Math.round(mean)} (${min}–${max})`;
}

/** The ranked comparison table with its legend. */
export function formatCompare(result: CompareResult): string {
  const { metric, alpha } = result.settings;
  const header = ['#', 'loss', ...result.metrics.map((m) => (m === metric ? `${METRICS[m]!.label} ▼` : METRICS[m]!.label)), 'vs best (p, Holm)', 'epochs'];
  const rows = result.losses.map((s) => {
    const cells = result.metrics.map((m) => `${formatNumber(s.metrics[m]!.mean)} ± ${formatNumber(s.metrics[m]!.std)}`);
    let versus = 'best';
    if (s.vsBest) versus = `${formatP(s.vsBest.pHolm)}${s.vsBest.significant ? ' * worse' : ''}`;
    if (s.diverged > 0) versus += ` (${s.diverged} diverged)`;
    return [String(s.rank), s.label, ...cells, versus, lossEpochsText(s)];
  });
  const d = result.dataset;
  const classes = d.task === 'regression' ? '' : `, classes ${d.classes.map((c, i) => `${c}: ${d.classCounts[i]}`).join(', ')}`;
  const lines = [
    `${d.source} → ${d.target} (${d.task}, ${d.rows} rows, ${d.featureColumns} feature columns${classes})`,
    ...(d.missingCells > 0 ? [`${d.missingCells} missing feature values imputed (median / mode of each training fold)`] : []),
    ...d.warnings.map((w) => `warning: ${w}`),
    `${result.settings.repeats}×${result.settings.folds}-fold${d.task === 'regression' ? '' : ' stratified'} CV, ${result.settings.model}, ${epochsText(result.settings)}, batch ${result.settings.batchSize}, lr ${result.settings.learningRate}, seed ${result.settings.seed}`,
    '',
    table([header, ...rows], ['r', 'l', ...result.metrics.map(() => 'r' as const), 'l', 'r']),
    '',
    `Ranked by ${METRICS[metric]!.label} (mean ± std over ${result.settings.folds * result.settings.repeats} test folds). ` +
      `p: Nadeau–Bengio corrected resampled t-test against the best, Holm-adjusted; * = significantly worse at α = ${alpha}.`,
    '',
    `Verdict: ${result.verdict.text}`,
    ...result.verdict.caveats.map((c) => `caveat: ${c}`),
    '',
    `${result.timing.trainings} trainings in ${result.timing.seconds.toFixed(1)} s (${result.timing.workers} worker${result.timing.workers === 1 ? '' : 's'}).`,
  ];
  return lines.join('\n');
}

/** The tuning summary: best parameters and the best trials. */
export function formatTune(result: TuneResult, limit = 10): string {
  const s = result.study;
  const names = parseSpace(s.space).map((d) => d.name);
  const label = METRICS[s.metric]!.label;
  const tuned = (...keys: string[]) => keys.some((k) => names.includes(k));
  const training = [
    tuned('epochs') ? 'epochs tuned' : s.epochs === null ? `early stopping (at most ${MAX_EPOCHS} epochs)` : `${s.epochs} epochs`,
    tuned('batchSize') ? 'batch tuned' : `batch ${s.batchSize}`,
    tuned('lr', 'learningRate') ? 'lr tuned' : `lr ${s.learningRate}`,
  ].join(', ');
  const lines = [`${s.data} → ${s.target} (${s.task}): tuning ${JSON.stringify(s.loss)} over ${s.space}`, `${s.sampler} sampler, ${s.repeats}×${s.folds}-fold CV, ${s.model}, ${training}, seed ${s.seed}`];
  for (const w of result.warnings) lines.push(`warning: ${w}`);
  if (result.resumed > 0) lines.push(`resumed: ${result.resumed} trials read from ${result.journal}`);
  lines.push('');
  if (result.best) {
    const b = result.best;
    lines.push(`Best trial #${b.trial}: ${label} ${formatNumber(b.score)} (mean of ${b.foldScores.length} folds)`);
    for (const n of names) lines.push(`  ${n} = ${formatParam(b.params[n])}`);
  } else {
    lines.push('No trial finished.');
  }
  const shown = trialsBestFirst(result.trials, s.higherIsBetter).slice(0, limit);
  const pruned = result.trials.filter((t) => t.pruned).length;
  lines.push('', `Trials (best ${shown.length} of ${result.trials.length}; ${pruned} pruned):`);
  lines.push(
    table(
      [['trial', ...names, label, 'folds', 'status'], ...shown.map((t) => [String(t.trial), ...names.map((n) => formatParam(t.params[n])), formatNumber(t.score), String(t.foldScores.length), t.pruned ? 'pruned' : 'complete'])],
      ['r', ...names.map(() => 'r' as const), 'r', 'r', 'l'],
    ),
  );
  lines.push('', `${result.trials.length} trials in ${result.timing.seconds.toFixed(1)} s (${result.timing.workers} worker${result.timing.workers === 1 ? '' : 's'}).`);
  return lines.join('\n');
}
