/**
 * View 3, Your own loss: write a `defineLoss` compute in JavaScript, see it plotted like a built-in
 * (beside one for reference), checked by `gradCheck` on seeded inputs, and export it as TypeScript.
 * Errors (syntax, tfjs, lossforge's LossInputError) are shown as messages in the page.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradCheck, type LossFactory, type option } from 'lossforge';
import seedrandom from 'seedrandom';
import { chart, lineSpec, robustDomain, type Chart } from '../charts.js';
import type { CatalogEntry } from '../catalog.js';
import { optionControl } from '../controls.js';
import { evaluateCurve } from '../curve.js';
import { CustomLossError, defineCustomLoss, parseDeclarations, typescriptSnippet } from '../customLoss.js';
import { AXES, elementwiseProbe, errorProbe, type AxisKind } from '../probes.js';
import { readState, writeState } from '../state.js';
import { el, renderTable } from '../ui.js';

type OptionValue = option.OptionValue;

const EXAMPLE = {
  name: 'cauchy',
  kind: 'regression',
  options: '{ "scale": { "default": 1, "min": 0, "minExclusive": true } }',
  code: `(yTrue, yPred, { scale }) => {
  // Cauchy (Lorentzian) loss: ½c²·log(1 + (e/c)²), e = ŷ − y
  const e = tf.div(tf.sub(yPred, yTrue), scale);
  return tf.mul(0.5 * scale * scale, tf.log1p(tf.square(e)));
}`,
  reference: 'huber',
};

/** Seeded inputs for gradCheck: targets and predictions of shape [8, 4] (labels 0/1 and logits for classification). */
function checkInputs(kind: string, seed: number): { yTrue: tf.Tensor; yPred: tf.Tensor } {
  const random = seedrandom.alea(String(seed));
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
  const n = 32;
  const yTrue = Float32Array.from({ length: n }, () => (kind === 'classification' ? (random() < 0.5 ? 0 : 1) : normal()));
  const yPred = Float32Array.from({ length: n }, () => (kind === 'classification' ? 2 * normal() : normal()));
  return { yTrue: tf.tensor2d(yTrue, [8, 4]), yPred: tf.tensor2d(yPred, [8, 4]) };
}

export function customView(root: HTMLElement, catalog: CatalogEntry[]): void {
  const builtIns = new Set(catalog.map((e) => e.name));
  const state = readState();
  const nameInput = el('input', { id: 'custom-name', value: state.get('cname') ?? EXAMPLE.name, autocomplete: 'off', spellcheck: false });
  const kindSelect = el('select', { id: 'custom-kind' });
  kindSelect.add(new Option('regression: against the error', 'regression'));
  kindSelect.add(new Option('binary classification: yPred is a logit', 'classification'));
  kindSelect.value = state.get('ckind') === 'classification' ? 'classification' : 'regression';
  const optionsInput = el('textarea', { id: 'custom-options', rows: 3, spellcheck: false, value: state.get('coptions') ?? EXAMPLE.options });
  const codeInput = el('textarea', { id: 'custom-code', rows: 10, spellcheck: false, wrap: 'off', value: state.get('ccode') ?? EXAMPLE.code });
  codeInput.setAttribute('aria-describedby', 'custom-code-help');
  const referenceSelect = el('select', { id: 'custom-reference' });
  const run = el('button', { type: 'submit', textContent: 'Plot and check', className: 'primary' });
  const form = el(
    'form',
    { className: 'custom-form' },
    el('div', { className: 'field' }, el('label', { htmlFor: 'custom-name', textContent: 'Name' }), nameInput),
    el('div', { className: 'field' }, el('label', { htmlFor: 'custom-kind', textContent: 'Kind' }), kindSelect),
    el('div', { className: 'field' }, el('label', { htmlFor: 'custom-options', textContent: 'Options (JSON: name → default, or { default, min, max })' }), optionsInput),
    el('div', { className: 'field' }, el('label', { htmlFor: 'custom-code', textContent: 'compute(yTrue, yPred, options) in JavaScript' }), codeInput),
    el('p', { id: 'custom-code-help', className: 'hint', textContent: 'Return the per-element loss as a tensor of yPred\'s shape; tf (tfjs-core) and numerics (lossforge\'s stable softplus, logSigmoid…) are in scope. Ctrl+Enter runs it.' }),
    el('div', { className: 'field' }, el('label', { htmlFor: 'custom-reference', textContent: 'Plot beside' }), referenceSelect),
    el('div', { className: 'row' }, run),
  );
  const message = el('div', { className: 'error', role: 'alert', id: 'custom-error' });
  const optionBox = el('div', { className: 'options' });
  const charts = el('div', { className: 'chart-pair' });
  const report = el('div', { className: 'report', role: 'status', id: 'gradcheck' });
  const table = el('details', { className: 'data' });
  const snippet = el('pre', { className: 'snippet', id: 'custom-snippet', tabIndex: 0 });
  const copy = el('button', { type: 'button', textContent: 'Copy TypeScript' });
  const download = el('a', { textContent: 'Download .ts', className: 'button' });
  const exportBox = el('section', { className: 'export', ariaLabel: 'Export' }, el('h3', { textContent: 'As TypeScript' }), el('div', { className: 'row' }, copy, download), snippet);
  root.append(el('div', { className: 'split' }, el('aside', { className: 'picker' }, form), el('div', { className: 'main' }, message, optionBox, charts, el('h3', { textContent: 'Gradient check' }), report, table, exportBox)));

  let values: Record<string, OptionValue> = {};
  let defaults: Record<string, OptionValue> = {};
  let live: Chart[] = [];

  function fillReferences(): void {
    const kind = kindSelect.value;
    const current = referenceSelect.value || EXAMPLE.reference;
    referenceSelect.replaceChildren(new Option('nothing', ''));
    for (const e of catalog.filter((c) => c.probe && (kind === 'regression' ? c.family === 'regression' : c.probe.family === 'classification' && c.probe !== errorProbe))) referenceSelect.add(new Option(e.name, e.name));
    referenceSelect.value = Array.from(referenceSelect.options).some((o) => o.value === current) ? current : kind === 'regression' ? 'huber' : 'binaryCrossentropy';
  }
  fillReferences();
  kindSelect.addEventListener('change', () => {
    fillReferences();
    void update(true);
  });
  referenceSelect.addEventListener('change', () => void update(false));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void update(true);
  });
  for (const input of [codeInput, optionsInput]) {
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        void update(true);
      }
    });
  }
  copy.addEventListener('click', () => {
    void navigator.clipboard?.writeText(snippet.textContent ?? '').then(
      () => (copy.textContent = 'Copied'),
      () => (copy.textContent = 'Copy failed: select the text'),
    );
  });

  /** Defines the loss from the form; on `rebuildOptions`, regenerates the option controls from its specs. */
  async function update(rebuildOptions: boolean): Promise<void> {
    const name = nameInput.value.trim();
    const kind = kindSelect.value;
    writeState({ cname: name, ckind: kind, coptions: optionsInput.value, ccode: codeInput.value });
    let factory: LossFactory;
    let declarations;
    try {
      declarations = parseDeclarations(optionsInput.value);
      factory = defineCustomLoss(name, codeInput.value, declarations, builtIns);
    } catch (error) {
      return fail(error);
    }
    const specs = factory.optionSpecs;
    if (rebuildOptions) {
      // A value set with a slider stays while its option keeps the same default; a new default resets it.
      values = Object.fromEntries(Object.keys(declarations).map((k) => [k, k in values && defaults[k] === specs[k]!.default && specs[k]!.accepts(values[k]) ? values[k] : specs[k]!.default]));
      defaults = Object.fromEntries(Object.keys(declarations).map((k) => [k, specs[k]!.default]));
      optionBox.replaceChildren();
      for (const key of Object.keys(declarations)) {
        optionBox.append(optionControl(key, specs[key]!, values[key], (v) => {
          values = { ...values, [key]: v };
          void update(false);
        }));
      }
    }
    const snippetText = typescriptSnippet(name, codeInput.value, declarations);
    snippet.textContent = snippetText;
    download.href = URL.createObjectURL(new Blob([snippetText], { type: 'text/typescript' }));
    download.download = `${name}.ts`;
    copy.textContent = 'Copy TypeScript';
    try {
      const axis: AxisKind = kind === 'regression' ? 'error' : 'logit';
      const probe = kind === 'regression' ? errorProbe : elementwiseProbe(() => false);
      const own = evaluateCurve(factory({ ...values, reduction: 'none' }), name, probe, { axis, target: 1 });
      if (own.rows.length === 0) throw new CustomLossError(`${name} gives no finite value on the plotted range.`);
      const rows = [...own.rows];
      const referenceEntry = catalog.find((e) => e.name === referenceSelect.value);
      if (referenceEntry?.probe) {
        const fixed = kind === 'classification' && 'fromLogits' in referenceEntry.factory.optionSpecs ? { fromLogits: true } : {};
        rows.push(...evaluateCurve(referenceEntry.factory({ ...fixed, reduction: 'none' }), referenceEntry.name, referenceEntry.probe, { axis, target: 1 }).rows);
      }
      const inputs = checkInputs(kind, 7);
      const result = gradCheck(factory(values), inputs.yTrue, inputs.yPred);
      const value = tf.tidy(() => factory(values)(inputs.yTrue, inputs.yPred).dataSync()[0]!);
      tf.dispose([inputs.yTrue, inputs.yPred]);
      showReport(result, value, own.dropped);
      await drawCharts(rows, axis);
      renderTable(table, 'Plotted values (every 10th point)', ['loss', 'series', 'x', 'value', 'derivative'], rows.filter((r) => r.point % 10 === 0));
      message.textContent = '';
      message.hidden = true;
      root.dataset['checked'] = String(Number(root.dataset['checked'] ?? 0) + 1);
    } catch (error) {
      fail(error);
    }
  }

  function showReport(result: ReturnType<typeof gradCheck>, value: number, dropped: number): void {
    const verdict = result.passed ? 'passed' : 'failed';
    report.className = `report ${verdict}`;
    report.replaceChildren(
      el('p', { className: 'verdict', textContent: `gradCheck ${verdict}: the tf.grad gradient ${result.passed ? 'agrees' : 'disagrees'} with central differences on ${result.checked} entries (seeded [8, 4] inputs).` }),
      el('dl', {},
        el('dt', { textContent: 'max |analytic − numeric|' }), el('dd', { textContent: result.maxAbsError.toExponential(2) }),
        el('dt', { textContent: 'max relative error' }), el('dd', { textContent: result.maxRelError.toExponential(2) }),
        el('dt', { textContent: 'worst entry' }), el('dd', { textContent: `#${result.worst.index}: analytic ${result.worst.analytic.toPrecision(5)}, numeric ${result.worst.numeric.toPrecision(5)}` }),
        el('dt', { textContent: 'non-finite gradients' }), el('dd', { textContent: String(result.nonFinite) }),
        el('dt', { textContent: 'loss on the check inputs (mean)' }), el('dd', { textContent: Number.isFinite(value) ? value.toPrecision(5) : String(value) }),
      ),
    );
    if (dropped > 0) report.append(el('p', { className: 'hint', textContent: `${dropped} plotted points are not finite and not shown.` }));
  }

  async function drawCharts(rows: { value: number; derivative: number }[], axis: AxisKind): Promise<void> {
    for (const c of live) c.finalize();
    charts.replaceChildren();
    const lossBox = el('div', { className: 'chart', role: 'img', ariaLabel: `Your loss against ${AXES[axis].title}` });
    const derivativeBox = el('div', { className: 'chart', role: 'img', ariaLabel: `Its derivative against ${AXES[axis].title}` });
    charts.append(lossBox, derivativeBox);
    const dash = axis === 'error' ? undefined : 'series';
    const data = rows as unknown as Record<string, number | string>[];
    live = [
      await chart(lossBox, lineSpec({ title: 'Loss', x: 'x', xTitle: AXES[axis].title, y: 'value', yTitle: 'loss', color: 'loss', dash, domain: robustDomain(rows.map((r) => r.value)), data })),
      await chart(derivativeBox, lineSpec({ title: 'Derivative (tf.grad)', x: 'x', xTitle: AXES[axis].title, y: 'derivative', yTitle: 'd loss / dx', color: 'loss', dash, data })),
    ];
  }

  function fail(error: unknown): void {
    const known = error instanceof CustomLossError || (error as Error)?.name === 'LossInputError';
    const text = known ? (error as Error).message : `${(error as Error)?.name ?? 'Error'}: ${(error as Error)?.message ?? String(error)}`;
    message.hidden = false;
    message.textContent = text;
    report.className = 'report';
    report.textContent = 'Not checked: fix the error above.';
    root.dataset['failed'] = String(Number(root.dataset['failed'] ?? 0) + 1);
  }

  void update(true);
}
