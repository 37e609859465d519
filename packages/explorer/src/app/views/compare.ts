/**
 * View 4, Compare: `lossforge compare` in the page. Pick a built-in dataset or drop a CSV; the
 * workbench's own study logic (@lossforge/workbench/core: the same parsing, folds, training, metrics,
 * statistics and verdict as the CLI) runs the trainings in Web Workers, one per core, and the
 * workbench's report renderer draws the same report.html, shown inline and offered as a download.
 */
import {
  BUILTIN_DATASETS,
  COMPARE_DEFAULTS,
  compareOn,
  compareReportHtml,
  defaultCandidates,
  defaultMetric,
  defaultTarget,
  inlineScript,
  METRICS,
  metricsFor,
  parseCsv,
  parseLossList,
  parseModel,
  tableDataset,
  VEGA_BUILDS,
  modelText,
  type CandidateInput,
  type CompareResult,
  type CompareSettings,
  type RawTable,
  type TaskOption,
} from '@lossforge/workbench/core';
import { webWorkerHost, type WebWorkerRunner } from '../compare/runner.js';
import { el } from '../ui.js';

/** The built-in datasets served with the app (dist/app/datasets/), with their sources and licences. */
const BUNDLED: { name: string; credit: string }[] = [
  { name: 'iris', credit: 'Fisher, 1936; UCI Machine Learning Repository (Dua & Graff, 2019), CC BY 4.0' },
  { name: 'penguins', credit: 'Palmer Station penguins, Gorman, Williams & Fraser, 2014; palmerpenguins (Horst, Hill, Gorman), CC0' },
];
const UPLOAD = 'upload';
const TASKS: TaskOption[] = ['auto', 'binary', 'multiclass', 'regression'];

const candidateText = (c: CandidateInput): string => (typeof c === 'string' ? c : JSON.stringify(c));
const url = (path: string): string => new URL(path, document.baseURI).href;

/** The report's vega builds: linked from the app's own vendor/ folder (in the page) or inlined (the download). */
const linkedScripts = (): string => VEGA_BUILDS.map(([pkg]) => `<script src="${url(`vendor/${pkg}.min.js`)}"></script>`).join('\n');
async function inlinedScripts(): Promise<string> {
  const sources = await Promise.all(VEGA_BUILDS.map(async ([pkg]) => inlineScript(pkg, await (await fetch(url(`vendor/${pkg}.min.js`))).text())));
  return sources.join('\n');
}

function download(name: string, text: string, type: string): void {
  const link = el('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

/** A labelled form field; `hint` (the CLI flag it mirrors) is read by screen readers after the label. */
function field(id: string, label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  control.id = id;
  const box = el('div', { className: 'field' }, el('label', { htmlFor: id, textContent: label }), control);
  if (hint) {
    const note = el('span', { className: 'hint', id: `${id}-hint`, textContent: hint });
    control.setAttribute('aria-describedby', note.id);
    box.append(note);
  }
  return box;
}

const numberInput = (value: number | '', props: { min?: string; max?: string; step: string; placeholder?: string }): HTMLInputElement =>
  el('input', { type: 'number', value: String(value), ...props });

const seconds = (s: number): string => (s < 60 ? `${s.toFixed(0)} s` : `${Math.floor(s / 60)} min ${(s % 60).toFixed(0).padStart(2, '0')} s`);

export function compareView(root: HTMLElement): void {
  // ── the form ──
  const datasetSelect = el('select', {},
    ...BUNDLED.map((b) => el('option', { value: `builtin:${b.name}`, textContent: `builtin:${b.name} — ${BUILTIN_DATASETS[b.name]!.description}` })),
    el('option', { value: UPLOAD, textContent: 'Your CSV file…' }),
  );
  const fileInput = el('input', { type: 'file', accept: '.csv,.tsv,.txt,text/csv,text/tab-separated-values' });
  const drop = el('div', { className: 'dropzone', id: 'compare-drop' },
    el('p', { textContent: 'Drop a CSV file here, or choose one:' }),
    field('compare-file', 'CSV file (a header row; columns separated by commas, semicolons or tabs)', fileInput),
  );
  const dataInfo = el('p', { className: 'hint', id: 'compare-data-info' });
  dataInfo.setAttribute('aria-live', 'polite');
  const targetSelect = el('select');
  const taskSelect = el('select', {}, ...TASKS.map((t) => el('option', { value: t, textContent: t })));
  const lossesInput = el('input', { type: 'text', spellcheck: false, autocomplete: 'off' });
  const metricSelect = el('select');
  const foldsInput = numberInput(COMPARE_DEFAULTS.folds, { min: '2', step: '1' });
  const repeatsInput = numberInput(COMPARE_DEFAULTS.repeats, { min: '1', step: '1' });
  const epochsInput = numberInput('', { min: '1', step: '1', placeholder: 'early stopping' });
  const seedInput = numberInput(COMPARE_DEFAULTS.seed, { step: '1' });
  const modelInput = el('input', { type: 'text', value: modelText(COMPARE_DEFAULTS.hidden), spellcheck: false });
  const batchInput = numberInput(COMPARE_DEFAULTS.batchSize, { min: '1', step: '1' });
  const lrInput = numberInput(COMPARE_DEFAULTS.learningRate, { min: '0', step: 'any' });
  const alphaInput = numberInput(COMPARE_DEFAULTS.alpha, { min: '0', max: '1', step: 'any' });
  const runButton = el('button', { type: 'submit', className: 'primary', id: 'compare-run', textContent: 'Compare' });
  const stopButton = el('button', { type: 'button', id: 'compare-stop', textContent: 'Stop', disabled: true });

  const form = el('form', { className: 'compare-form', ariaLabel: 'Compare settings' },
    el('fieldset', {}, el('legend', { textContent: 'Data' }),
      field('compare-dataset', 'Dataset', datasetSelect, '--data'),
      drop,
      dataInfo,
      el('div', { className: 'field-row' },
        field('compare-target', 'Target column', targetSelect, '--target'),
        field('compare-task', 'Task', taskSelect, '--task'),
      ),
    ),
    el('fieldset', {}, el('legend', { textContent: 'Study' }),
      field('compare-losses', 'Losses (comma-separated names or JSON configs; empty: the defaults for the task)', lossesInput, '--losses'),
      el('div', { className: 'field-row' },
        field('compare-folds', 'Folds', foldsInput, '--folds'),
        field('compare-repeats', 'Repeats', repeatsInput, '--repeats'),
        field('compare-epochs', 'Epochs (empty: early stopping)', epochsInput, '--epochs'),
        field('compare-seed', 'Seed', seedInput, '--seed'),
      ),
      el('details', { className: 'more' }, el('summary', { textContent: 'Model and training' }),
        el('div', { className: 'field-row' },
          field('compare-model', 'Model', modelInput, '--model (mlp:SIZES or linear)'),
          field('compare-batch', 'Batch size', batchInput, '--batch-size'),
          field('compare-lr', 'Learning rate (Adam)', lrInput, '--lr'),
          field('compare-alpha', 'Significance level α', alphaInput, '--alpha'),
          field('compare-metric', 'Ranking metric', metricSelect, '--metric'),
        ),
      ),
    ),
    el('div', { className: 'row' }, runButton, stopButton),
  );

  // ── progress, errors, the result ──
  const bar = el('progress', { id: 'compare-progress', max: 1, value: 0 });
  bar.setAttribute('aria-label', 'Trainings done');
  const count = el('p', { className: 'readout', id: 'compare-count' });
  count.setAttribute('aria-live', 'polite');
  const error = el('p', { className: 'error', id: 'compare-error', role: 'alert' });
  const verdict = el('div', { id: 'compare-verdict' });
  const reportButton = el('button', { type: 'button', id: 'compare-download-report', textContent: 'Download report.html' });
  const jsonButton = el('button', { type: 'button', id: 'compare-download-json', textContent: 'Download results.json' });
  const downloads = el('div', { className: 'row', hidden: true }, reportButton, jsonButton);
  const frame = el('iframe', { id: 'compare-report', title: 'Compare report', hidden: true });
  root.append(
    el('p', { className: 'hint', textContent: 'The workbench’s compare, in your browser: every loss trained on the same repeated (stratified) k-fold splits with the same initial weights, tested against the best (Nadeau–Bengio corrected t-test, Holm), a verdict and the report — the numbers npx lossforge compare gives for the same data and seed. Nothing leaves the page.' }),
    form,
    el('div', { className: 'compare-status' }, bar, count),
    error,
    verdict,
    downloads,
    frame,
  );

  // ── state ──
  let table: RawTable | undefined;
  let result: CompareResult | undefined;
  let runner: WebWorkerRunner | undefined;
  let stopped = false;
  const setState = (state: 'idle' | 'running' | 'done' | 'error') => {
    root.dataset['state'] = state;
    runButton.disabled = state === 'running';
    stopButton.disabled = state !== 'running';
  };
  const fail = (e: unknown) => {
    error.textContent = (e as Error)?.message ?? String(e);
  };

  /** The dataset as the current target and task read it: the task, metrics and default losses follow. */
  function describeData(): void {
    error.textContent = '';
    if (!table) return;
    try {
      const data = tableDataset(table, { target: targetSelect.value, task: taskSelect.value as TaskOption });
      const credit = BUNDLED.find((b) => `builtin:${b.name}` === table!.source)?.credit;
      dataInfo.textContent = `${table.source}: ${data.n} rows, ${data.features.length} feature columns, target '${data.target}' read as ${data.task} (${data.taskReason}).${credit ? ` Source: ${credit}.` : ''}`;
      const metrics = metricsFor(data.task);
      const kept = metricSelect.value;
      metricSelect.replaceChildren(...metrics.map((m) => el('option', { value: m, textContent: `${METRICS[m]!.label}${m === defaultMetric(data.task) ? ' (default)' : ''}` })));
      metricSelect.value = metrics.includes(kept) ? kept : defaultMetric(data.task);
      lossesInput.placeholder = defaultCandidates(data.task, { counts: data.counts }).map(candidateText).join(', ');
    } catch (e) {
      fail(e);
    }
  }

  /** A new table: its columns become the target choices (default: the built-in's target or the last column). */
  function useTable(next: RawTable): void {
    table = next;
    const target = defaultTarget(next.source, next);
    targetSelect.replaceChildren(...next.header.map((c) => el('option', { value: c, textContent: c === target ? `${c} (default)` : c })));
    targetSelect.value = target;
    metricSelect.value = '';
    describeData();
  }

  async function loadBuiltin(spec: string): Promise<void> {
    const name = spec.slice('builtin:'.length);
    const response = await fetch(url(`datasets/${name}.csv`));
    if (!response.ok) throw new Error(`${spec}: could not load the bundled file (HTTP ${response.status})`);
    useTable(parseCsv(await response.text(), spec));
  }

  async function loadFile(file: File): Promise<void> {
    error.textContent = '';
    table = undefined;
    dataInfo.textContent = '';
    targetSelect.replaceChildren();
    metricSelect.replaceChildren();
    lossesInput.placeholder = '';
    datasetSelect.value = UPLOAD;
    try {
      useTable(parseCsv(await file.text(), file.name));
    } catch (e) {
      fail(e);
    }
  }

  datasetSelect.addEventListener('change', () => {
    if (datasetSelect.value === UPLOAD) return fileInput.click();
    error.textContent = '';
    loadBuiltin(datasetSelect.value).catch(fail);
  });
  fileInput.addEventListener('change', () => {
    const file = fileInput.files?.[0];
    if (file) void loadFile(file);
  });
  drop.addEventListener('dragover', (event) => {
    event.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = event.dataTransfer?.files[0];
    if (file) void loadFile(file);
  });
  targetSelect.addEventListener('change', describeData);
  taskSelect.addEventListener('change', describeData);

  /** The form as the workbench's settings (the CLI's flags); bad values are reported by the workbench itself. */
  function settings(source: string): CompareSettings {
    const losses = lossesInput.value.trim();
    return {
      ...COMPARE_DEFAULTS,
      data: source,
      target: targetSelect.value || undefined,
      task: taskSelect.value as TaskOption,
      losses: losses === '' ? undefined : parseLossList(losses),
      folds: foldsInput.valueAsNumber,
      repeats: repeatsInput.valueAsNumber,
      epochs: epochsInput.value.trim() === '' ? undefined : epochsInput.valueAsNumber,
      seed: seedInput.valueAsNumber,
      hidden: parseModel(modelInput.value),
      batchSize: batchInput.valueAsNumber,
      learningRate: lrInput.valueAsNumber,
      alpha: alphaInput.valueAsNumber,
      metric: metricSelect.value || undefined,
      workers: navigator.hardwareConcurrency || 1,
    };
  }

  async function showReport(done: CompareResult): Promise<void> {
    verdict.replaceChildren(el('p', {}, el('strong', { textContent: 'Verdict. ' }), done.verdict.text));
    downloads.hidden = false;
    frame.hidden = false;
    const loaded = new Promise((resolve) => frame.addEventListener('load', resolve, { once: true }));
    frame.srcdoc = compareReportHtml(done, linkedScripts());
    await loaded;
    const win = frame.contentWindow as (Window & { __lossforgeReport?: Promise<unknown> }) | null;
    await win?.__lossforgeReport;
    const fit = () => {
      const doc = frame.contentDocument;
      if (doc) frame.style.height = `${doc.documentElement.scrollHeight + 4}px`;
    };
    fit();
    if (frame.contentDocument) new ResizeObserver(fit).observe(frame.contentDocument.body);
  }

  async function run(): Promise<void> {
    error.textContent = '';
    if (!table) return fail(new Error('--data: choose a built-in dataset or a CSV file first'));
    let study: CompareSettings;
    try {
      study = settings(table.source);
    } catch (e) {
      return fail(e);
    }
    stopped = false;
    result = undefined;
    verdict.replaceChildren();
    downloads.hidden = true;
    frame.hidden = true;
    setState('running');
    const started = performance.now();
    let done = 0;
    let total = 0;
    const host = webWorkerHost(new URL('compare-worker.js', document.baseURI), (r) => (runner = r));
    const show = (last = '') => {
      const elapsed = (performance.now() - started) / 1000;
      const eta = done > 0 && done < total ? ` · about ${seconds((elapsed / done) * (total - done))} left` : '';
      count.textContent = `${done} of ${total} trainings · ${runner?.workers ?? 0} Web Workers · ${seconds(elapsed)}${eta}${last ? ` · last: ${last}` : ''}`;
    };
    try {
      result = await compareOn(host, table, study, {
        start: (n) => {
          total = n;
          bar.max = n;
          bar.value = 0;
          show();
        },
        tick: (o) => {
          done += 1;
          bar.value = done;
          show(`${o.label} r${o.repeat + 1}f${o.fold + 1}`);
        },
        stop: () => undefined,
      });
      count.textContent = `${total} trainings on ${result.timing.workers} Web Workers in ${seconds(result.timing.seconds)}.`;
      await showReport(result);
      setState('done');
    } catch (e) {
      if (stopped) count.textContent = `Stopped after ${done} of ${total} trainings.`;
      else fail(e);
      setState(stopped ? 'idle' : 'error');
    } finally {
      runner?.cancel(new Error('stopped'));
      runner = undefined;
    }
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  stopButton.addEventListener('click', () => {
    stopped = true;
    runner?.cancel(new Error('stopped'));
  });
  reportButton.addEventListener('click', () => {
    if (!result) return;
    const done = result;
    inlinedScripts().then((scripts) => download('report.html', compareReportHtml(done, scripts), 'text/html')).catch(fail);
  });
  jsonButton.addEventListener('click', () => {
    if (result) download('results.json', `${JSON.stringify(result, null, 2)}\n`, 'application/json');
  });

  setState('idle');
  loadBuiltin(datasetSelect.value).catch(fail);
}
