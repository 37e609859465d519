/**
 * View 2, Live fit: a small problem trained in the page while you watch — regression with
 * outliers (MSE, Huber, log-cosh), imbalanced blobs (BCE, focal, BCE with posWeight), noisy labels
 * (CE, generalized CE). Every loss trains the same network from the same initial weights on the
 * same seeded data; the fitted function or decision regions, the training loss and a clean-data
 * metric update as it runs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { losses } from 'lossforge';
import type { VisualizationSpec } from 'vega-embed';
import { chart, type Chart, type Row } from '../charts.js';
import type { CatalogEntry } from '../catalog.js';
import { initialWeights, Run } from '../fit/model.js';
import { PROBLEMS, trueFunction, type Dataset, type Problem } from '../fit/problems.js';
import { readState, writeState } from '../state.js';
import { el, renderTable } from '../ui.js';

const STEPS_PER_FRAME = 8;
/** Steps between two evaluations of the clean-data metric. */
const METRIC_EVERY = 16;
const MAX_STEPS = 600;
const GRID = 28;
const SPAN: [number, number] = [-1.4, 1.4];
/** Fit the container's width, and lay out again when the data (and so the axis labels) change. */
const AUTOSIZE = { type: 'fit-x', contains: 'padding', resize: true } as const;

interface Lane {
  label: string;
  run: Run;
  chart: Chart;
  readout: HTMLElement;
  metric: number;
  metrics: Row[];
}

/** Cell centers of a GRID × GRID grid over SPAN², as an [n, 2] array. */
function gridPoints(): number[][] {
  const step = (SPAN[1] - SPAN[0]) / GRID;
  const points: number[][] = [];
  for (let i = 0; i < GRID; i++) for (let j = 0; j < GRID; j++) points.push([SPAN[0] + (i + 0.5) * step, SPAN[0] + (j + 0.5) * step]);
  return points;
}

/** vega's default categorical colors (tableau10): run i has color i in the panels and the line charts. */
const RUN_COLORS = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b'];

const CURVE_X = Array.from({ length: 81 }, (_, i) => [-1 + i / 40]);

/** The panel's chart: data points plus the model's fitted function (regression) or decision regions. */
function panelSpec(problem: Problem, data: Dataset, title: string, surface: Row[]): VisualizationSpec {
  // Classification points are colored by the label they carry; a wrong (flipped) label is drawn as a cross.
  const points = data.x.map((x, i) => ({ x: x[0]!, y: problem.inputs === 1 ? data.y[i]! : x[1]!, label: problem.inputs === 1 ? (data.corrupted[i] ? 'outlier' : 'point') : `label ${data.y[i]}`, wrong: data.corrupted[i] ? 'wrong label' : 'right label' }));
  const base = { title, width: 'container', height: 240, autosize: AUTOSIZE };
  if (problem.inputs === 1) {
    const ys = data.y;
    const domain = [Math.min(-1.5, ...ys) - 0.2, Math.max(1.5, ...ys) + 0.2];
    return {
      ...base,
      layer: [
        { data: { values: points }, mark: { type: 'point', filled: true, size: 28, opacity: 0.7 }, encoding: { x: { field: 'x', type: 'quantitative', scale: { domain: [-1, 1] } }, y: { field: 'y', type: 'quantitative', scale: { domain } }, color: { field: 'label', type: 'nominal', title: null, scale: { domain: ['point', 'outlier', 'fit', 'truth'], range: ['#4c78a8', '#e45756', '#222', '#54a24b'] }, legend: { orient: 'bottom' } } } },
        { data: { values: CURVE_X.map(([x]) => ({ x, y: trueFunction(x!), label: 'truth' })) }, mark: { type: 'line', strokeDash: [4, 3] }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'label', type: 'nominal' } } },
        { data: { name: 'surface', values: surface }, mark: { type: 'line', strokeWidth: 2.5 }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' }, color: { field: 'label', type: 'nominal' } } },
      ],
    } as VisualizationSpec;
  }
  const binary = problem.outputs === 1;
  const axis = (field: string, title: string) => ({ field, type: 'quantitative', scale: { domain: SPAN, nice: false }, title });
  return {
    ...base,
    layer: [
      {
        data: { name: 'surface', values: surface },
        mark: { type: 'rect' },
        encoding: {
          x: axis('x0', 'x₁'),
          x2: { field: 'x1' },
          y: axis('y0', 'x₂'),
          y2: { field: 'y1' },
          color: binary
            ? { field: 'p', type: 'quantitative', title: 'P(class 1)', scale: { domain: [0, 1], scheme: 'blueorange' }, legend: { orient: 'bottom', gradientLength: 120 } }
            : { field: 'cls', type: 'nominal', title: 'predicted', scale: { domain: ['0', '1', '2'], range: ['#9ecae9', '#ffbf79', '#88d27a'] }, legend: { orient: 'bottom' } },
          opacity: binary ? { value: 0.55 } : { field: 'confidence', type: 'quantitative', scale: { domain: [0.33, 1], range: [0.15, 0.7] }, legend: null },
        },
      },
      {
        data: { values: points },
        mark: { type: 'point', filled: true, size: 22, stroke: '#111', strokeWidth: 0.4 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          fill: { field: 'label', type: 'nominal', title: null, scale: binary ? { domain: ['label 0', 'label 1'], range: ['#4c78a8', '#f58518'] } : { domain: ['label 0', 'label 1', 'label 2'], range: ['#1f77b4', '#ff7f0e', '#2ca02c'] }, legend: { orient: 'bottom', columns: 3 } },
          shape: { field: 'wrong', type: 'nominal', title: null, scale: { domain: ['right label', 'wrong label'], range: ['circle', 'cross'] }, legend: binary ? null : { orient: 'bottom' } },
        },
      },
    ],
  } as VisualizationSpec;
}

export function fitView(root: HTMLElement, _catalog: CatalogEntry[]): void {
  const state = readState();
  let problem = PROBLEMS.find((p) => p.id === state.get('problem')) ?? PROBLEMS[0]!;
  let seed = Number(state.get('seed') ?? 1);
  if (!Number.isInteger(seed)) seed = 1;

  const problemSelect = el('select', { id: 'fit-problem' });
  for (const p of PROBLEMS) problemSelect.add(new Option(p.title, p.id, false, p === problem));
  const knobBox = el('div', { className: 'knobs' });
  const seedInput = el('input', { id: 'fit-seed', type: 'number', step: '1', value: String(seed) });
  const runButton = el('button', { type: 'button', id: 'fit-run', className: 'primary', textContent: 'Start' });
  const stepButton = el('button', { type: 'button', id: 'fit-step', textContent: '+10 steps' });
  const resetButton = el('button', { type: 'button', id: 'fit-reset', textContent: 'Reset' });
  const counter = el('p', { id: 'fit-steps', className: 'status', role: 'status', textContent: 'step 0' });
  const controls = el(
    'div',
    { className: 'fit-controls' },
    el('div', { className: 'field' }, el('label', { htmlFor: 'fit-problem', textContent: 'Problem' }), problemSelect),
    knobBox,
    el('div', { className: 'field' }, el('label', { htmlFor: 'fit-seed', textContent: 'Seed (data and initial weights)' }), seedInput),
    el('div', { className: 'row' }, runButton, stepButton, resetButton),
    counter,
  );
  const lanesBox = el('div', { className: 'lanes' });
  const historyBox = el('div', { className: 'chart', role: 'img', ariaLabel: 'Training loss of each run against the step' });
  const metricBox = el('div', { className: 'chart', role: 'img' });
  const table = el('details', { className: 'data' });
  const description = el('p', { className: 'hint' });
  root.append(el('div', { className: 'fit' }, controls, description, lanesBox, el('div', { className: 'chart-pair' }, historyBox, metricBox), table));

  let settings: Record<string, number> = {};
  let lanes: Lane[] = [];
  let history: Chart | undefined;
  let metricChart: Chart | undefined;
  let tensors: tf.Tensor[] = [];
  let running = false;
  let current: Dataset | undefined;
  let generation = 0;

  function renderKnobs(): void {
    knobBox.replaceChildren();
    settings = {};
    for (const knob of problem.knobs) {
      const stored = Number(state.get(knob.id));
      settings[knob.id] = Number.isFinite(stored) && state.get(knob.id) !== null && stored >= knob.min && stored <= knob.max ? stored : knob.default;
      const id = `knob-${knob.id}`;
      const output = el('output', { htmlFor: id, textContent: String(settings[knob.id]) } as never);
      const slider = el('input', { type: 'range', id, min: String(knob.min), max: String(knob.max), step: String(knob.step), value: String(settings[knob.id]) });
      slider.addEventListener('input', () => (output.textContent = slider.value));
      slider.addEventListener('change', () => {
        settings[knob.id] = Number(slider.value);
        writeState({ [knob.id]: slider.value });
        void reset();
      });
      knobBox.append(el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: `${knob.label} (default ${knob.default})` }), el('div', { className: 'slider' }, slider, output)));
    }
  }

  /** Builds the data, the runs (same initial weights) and the charts for the current settings. */
  async function reset(): Promise<void> {
    const mine = ++generation;
    stop();
    for (const lane of lanes) {
      lane.run.dispose();
      lane.chart.finalize();
    }
    history?.finalize();
    metricChart?.finalize();
    tf.dispose(tensors);
    lanes = [];
    const data = problem.make(settings, seed);
    current = data;
    const x = tf.tensor2d(data.x);
    const y = problem.task === 'multiclass' ? tf.cast(tf.oneHot(tf.tensor1d(data.y, 'int32'), problem.outputs), 'float32') : tf.tensor2d(data.y, [data.y.length, 1]);
    const testX = tf.tensor2d(data.test.x);
    const surfaceX = tf.tensor2d(problem.inputs === 1 ? CURVE_X : gridPoints());
    tensors = [x, y, testX, surfaceX];
    const init = initialWeights(problem.inputs, problem.outputs, seed);
    description.textContent = `${data.x.length} training points, ${data.corrupted.filter(Boolean).length} corrupted; a ${problem.inputs}→16→${problem.outputs} tanh network per loss, the same initial weights for each (seed ${seed}), Adam with learning rate ${problem.learningRate}, full batch. Metric: ${problem.metric.name}.`;
    lanesBox.replaceChildren();
    // All boxes first, then the charts: each chart measures its container's final width.
    const boxes = problem.losses(settings, data).map(({ label, config }) => {
      const box = el('div', { className: 'chart', role: 'img', ariaLabel: `${label}: data and the fitted ${problem.inputs === 1 ? 'function' : 'decision regions'}` });
      const readout = el('p', { className: 'readout' });
      const swatch = el('span', { className: 'swatch' });
      swatch.style.background = RUN_COLORS[lanesBox.childElementCount % RUN_COLORS.length]!;
      swatch.setAttribute('aria-hidden', 'true');
      lanesBox.append(el('article', { className: 'lane' }, box, el('div', { className: 'readout-row' }, swatch, readout)));
      return { label, config, box, readout };
    });
    const pending: Lane[] = boxes.map(({ label, config, readout }) => ({ label, run: new Run(init, losses.fromConfig(config), problem.learningRate, x, y), chart: undefined as unknown as Chart, readout, metric: NaN, metrics: [] }));
    lanes = pending;
    for (const lane of lanes) lane.metrics.push({ step: 0, metric: (lane.metric = metricOf(lane.run, data)), run: lane.label });
    for (const [i, lane] of lanes.entries()) {
      lane.chart = await chart(boxes[i]!.box, panelSpec(problem, data, lane.label, surfaceRows(lane.run)), 'canvas');
      if (mine !== generation) return;
    }
    history = await chart(historyBox, {
      title: 'Training loss (each in its own loss)', width: 'container', height: 220, autosize: AUTOSIZE,
      data: { name: 'rows', values: historyRows() }, mark: { type: 'line' },
      encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative', scale: { type: 'log' } }, color: { field: 'run', type: 'nominal', title: null, scale: { domain: lanes.map((l) => l.label), range: RUN_COLORS }, legend: { orient: 'bottom', columns: 1, labelLimit: 480 } } },
    } as VisualizationSpec);
    metricBox.setAttribute('aria-label', `${problem.metric.name} against the step`);
    metricChart = await chart(metricBox, {
      title: problem.metric.name, width: 'container', height: 220, autosize: AUTOSIZE,
      data: { name: 'rows', values: metricRows() }, mark: { type: 'line', point: true },
      encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'metric', type: 'quantitative', scale: { zero: false } }, color: { field: 'run', type: 'nominal', title: null, scale: { domain: lanes.map((l) => l.label), range: RUN_COLORS }, legend: { orient: 'bottom', columns: 1, labelLimit: 480 } } },
    } as VisualizationSpec);
    if (mine !== generation) return;
    await draw(data);
    counter.textContent = 'step 0';
    root.dataset['steps'] = '0';
  }

  /** The clean-data metric of a run. */
  function metricOf(run: Run, data: Dataset): number {
    return tf.tidy(() => {
      const out = run.predict(tensors[2] as tf.Tensor2D);
      if (problem.task === 'regression') {
        const err = tf.sub(tf.reshape(out, [-1]), tf.tensor1d(data.test.y));
        return Math.sqrt(tf.mean(tf.square(err)).dataSync()[0]!);
      }
      const predicted = problem.task === 'binary' ? Array.from(out.dataSync(), (v) => (v > 0 ? 1 : 0)) : Array.from(tf.argMax(out, 1).dataSync());
      if (problem.task === 'multiclass') return predicted.filter((p, i) => p === data.test.y[i]).length / predicted.length;
      const recall = (c: number) => {
        const idx = data.test.y.flatMap((v, i) => (v === c ? [i] : []));
        return idx.length === 0 ? 1 : idx.filter((i) => predicted[i] === c).length / idx.length;
      };
      return (recall(0) + recall(1)) / 2;
    });
  }

  /** The fitted function (regression) or the decision regions of a run, on the plotting grid. */
  function surfaceRows(run: Run): Row[] {
    const out = run.predict(tensors[3] as tf.Tensor2D);
    const values = out.dataSync();
    out.dispose();
    if (problem.inputs === 1) return CURVE_X.map(([x], i) => ({ x: x!, y: values[i]!, label: 'fit' }));
    const step = (SPAN[1] - SPAN[0]) / GRID;
    return gridPoints().map(([gx, gy], i) => {
      const cell = { x0: gx! - step / 2, x1: gx! + step / 2, y0: gy! - step / 2, y1: gy! + step / 2 };
      if (problem.outputs === 1) return { ...cell, p: 1 / (1 + Math.exp(-values[i]!)) };
      const logits = [values[3 * i]!, values[3 * i + 1]!, values[3 * i + 2]!];
      const m = Math.max(...logits);
      const e = logits.map((v) => Math.exp(v - m));
      const cls = logits.indexOf(m);
      return { ...cell, cls: String(cls), confidence: e[cls]! / (e[0]! + e[1]! + e[2]!) };
    });
  }

  /** Every run's training loss by step (every other step, and the last). */
  function historyRows(): Row[] {
    return lanes.flatMap((lane) => lane.run.history.flatMap((loss, step) => (step % 2 === 0 || step === lane.run.history.length - 1 ? [{ step, loss, run: lane.label }] : [])));
  }

  const metricRows = (): Row[] => lanes.flatMap((l) => l.metrics);

  async function draw(data: Dataset): Promise<void> {
    for (const lane of lanes) {
      if (lane.run.steps - Number(lane.metrics.at(-1)?.['step'] ?? -Infinity) >= METRIC_EVERY) {
        lane.metric = metricOf(lane.run, data);
        lane.metrics.push({ step: lane.run.steps, metric: lane.metric, run: lane.label });
      }
      await lane.chart.update('surface', surfaceRows(lane.run));
      const last = lane.run.history.at(-1);
      lane.readout.textContent = `step ${lane.run.steps} · loss ${last === undefined ? '—' : last.toPrecision(4)} · ${problem.metric.name.split(' ')[0]} ${lane.metric.toFixed(3)}`;
    }
    await history?.update('rows', historyRows());
    await metricChart?.update('rows', metricRows());
    renderTable(table, 'Current values', ['run', 'steps', 'loss', 'metric'], lanes.map((l) => ({ run: l.label, steps: l.run.steps, loss: l.run.history.at(-1) ?? NaN, metric: l.metric })));
  }

  /** `count` steps for every run, then a redraw. */
  async function advance(count: number): Promise<void> {
    const [x, y] = tensors as [tf.Tensor2D, tf.Tensor];
    for (const lane of lanes) lane.run.train(x, y, count);
    const steps = lanes[0]?.run.steps ?? 0;
    counter.textContent = `step ${steps}`;
    root.dataset['steps'] = String(steps);
    if (current) await draw(current);
  }

  function stop(): void {
    running = false;
    runButton.textContent = 'Start';
    runButton.setAttribute('aria-pressed', 'false');
  }

  async function loop(mine: number): Promise<void> {
    while (running && mine === generation && (lanes[0]?.run.steps ?? 0) < MAX_STEPS && !root.hidden) {
      await advance(STEPS_PER_FRAME);
      await new Promise(requestAnimationFrame);
    }
    if (mine === generation) stop();
  }

  runButton.addEventListener('click', () => {
    if (running) return stop();
    if ((lanes[0]?.run.steps ?? 0) >= MAX_STEPS) return;
    running = true;
    runButton.textContent = 'Pause';
    runButton.setAttribute('aria-pressed', 'true');
    void loop(generation);
  });
  stepButton.addEventListener('click', () => {
    stop();
    void advance(10);
  });
  resetButton.addEventListener('click', () => void reset());
  problemSelect.addEventListener('change', () => {
    problem = PROBLEMS.find((p) => p.id === problemSelect.value)!;
    writeState({ problem: problem.id });
    renderKnobs();
    void reset();
  });
  seedInput.addEventListener('change', () => {
    const v = Number(seedInput.value);
    if (!Number.isInteger(v)) return;
    seed = v;
    writeState({ seed: String(seed) });
    void reset();
  });

  renderKnobs();
  void reset();
}
