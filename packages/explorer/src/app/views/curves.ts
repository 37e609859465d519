/**
 * View 1, Curves: pick losses from the registry (by name, alias or family), see each loss and its
 * derivative against the error (regression), the logit or probability (classification, y = 1 and
 * y = 0) or the distance (pairs), overlaid; tune every option with generated controls; read the
 * formula and when to choose it. The selection lives in the URL.
 */
import type { option } from 'lossforge';
import { chart, lineSpec, robustDomain, type Chart } from '../charts.js';
import type { CatalogEntry } from '../catalog.js';
import { resolveQuery } from '../catalog.js';
import { controllable, optionControl } from '../controls.js';
import { evaluateCurve, type CurveRow } from '../curve.js';
import { AXES, type AxisKind } from '../probes.js';
import { readJson, readState, writeState } from '../state.js';
import { docCard, el, familyTitle, renderTable } from '../ui.js';

type OptionValue = option.OptionValue;

/** A selected curve: a loss and the options that differ from its defaults. */
export interface Selection {
  name: string;
  options: Record<string, OptionValue>;
}

const DEFAULT_SELECTION: Selection[] = [{ name: 'meanSquaredError', options: {} }, { name: 'huber', options: {} }, { name: 'binaryCrossentropy', options: { fromLogits: true } }, { name: 'binaryFocalCrossentropy', options: { fromLogits: true } }];

/** `huber (delta 2)`: the name and the options set away from their defaults. */
export function curveLabel({ name, options }: Selection): string {
  const set = Object.entries(options).filter(([, v]) => v !== undefined);
  return set.length === 0 ? name : `${name} (${set.map(([k, v]) => `${k} ${typeof v === 'number' ? +v.toPrecision(3) : v}`).join(', ')})`;
}

export function curvesView(root: HTMLElement, catalog: CatalogEntry[]): void {
  const byName = new Map(catalog.map((e) => [e.name, e]));
  let selection = readJson<Selection[]>('losses', DEFAULT_SELECTION).filter((s) => byName.get(s?.name)?.probe);
  let classAxis: AxisKind = readState().get('axis') === 'probability' ? 'probability' : 'logit';
  let target = Number(readState().get('target') ?? 1);
  if (!Number.isFinite(target)) target = 1;

  // ── picker ──
  const message = el('p', { className: 'message', role: 'status' });
  const query = el('input', { id: 'loss-query', type: 'search', autocomplete: 'off', placeholder: 'e.g. focal, HuberLoss, regression' });
  query.setAttribute('list', 'loss-names');
  const names = el('datalist', { id: 'loss-names' });
  const families = [...new Set(catalog.map((e) => e.family))];
  for (const option of [...catalog.flatMap((e) => [e.name, ...e.aliases]), ...families]) names.append(new Option(option));
  const form = el('form', { className: 'query' }, el('label', { htmlFor: 'loss-query', textContent: 'Add a loss: a name, an alias or a family' }), el('div', { className: 'row' }, query, el('button', { type: 'submit', textContent: 'Add' })), names, message);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    addByQuery(query.value);
  });
  const lists = el('div', { className: 'families' });
  for (const family of families) {
    const fieldset = el('fieldset', {}, el('legend', { textContent: familyTitle(family) }));
    for (const entry of catalog.filter((e) => e.family === family)) {
      const id = `pick-${entry.name}`;
      const box = el('input', { type: 'checkbox', id, disabled: !entry.probe });
      box.dataset['loss'] = entry.name;
      const label = el('label', { htmlFor: id, textContent: entry.name });
      if (!entry.probe) label.title = `No curve: ${entry.noCurve}`;
      box.addEventListener('change', () => {
        selection = box.checked ? [...selection, { name: entry.name, options: {} }] : selection.filter((s) => s.name !== entry.name);
        changed();
      });
      fieldset.append(el('div', { className: 'pick' }, box, label, entry.probe ? '' : el('span', { className: 'hint', textContent: ` — ${entry.noCurve}` })));
    }
    lists.append(fieldset);
  }
  // The full list folds away on narrow screens, so the charts come first after the search box.
  const browse = el('details', { className: 'browse', open: window.innerWidth > 760 }, el('summary', { textContent: 'All losses, by family' }), lists);
  const picker = el('aside', { className: 'picker', ariaLabel: 'Choose losses' }, form, browse);

  // ── axes ──
  const axisChoice = el('fieldset', { className: 'axis' }, el('legend', { textContent: 'Classification x axis' }));
  for (const kind of ['logit', 'probability'] as const) {
    const id = `axis-${kind}`;
    const radio = el('input', { type: 'radio', name: 'class-axis', id, value: kind, checked: classAxis === kind });
    radio.addEventListener('change', () => {
      classAxis = kind;
      changed();
    });
    axisChoice.append(el('span', { className: 'pick' }, radio, el('label', { htmlFor: id, textContent: kind })));
  }
  const targetInput = el('input', { id: 'regression-target', type: 'number', step: 'any', value: String(target) });
  targetInput.addEventListener('change', () => {
    const v = Number(targetInput.value);
    if (targetInput.value.trim() !== '' && Number.isFinite(v)) {
      target = v;
      changed();
    }
  });
  const settings = el('div', { className: 'settings' }, axisChoice, el('div', { className: 'field' }, el('label', { htmlFor: 'regression-target', textContent: 'Regression target y' }), targetInput));

  const charts = el('div', { className: 'chart-groups' });
  const cards = el('div', { className: 'cards' });
  const table = el('details', { className: 'data' });
  const main = el('div', { className: 'main' }, settings, charts, el('h2', { textContent: 'Selected losses' }), cards, table);
  root.append(el('div', { className: 'split' }, picker, main));

  function addByQuery(text: string): void {
    const family = families.find((f) => f.toLowerCase() === text.trim().toLowerCase());
    if (family) {
      const added = catalog.filter((e) => e.family === family && e.probe && !selection.some((s) => s.name === e.name));
      selection = [...selection, ...added.map((e) => ({ name: e.name, options: {} }))];
      message.textContent = `Added ${added.length} ${family} losses.`;
    } else {
      const found = resolveQuery(catalog, text);
      if (!found) {
        message.textContent = `No loss is called '${text}'. Try a name such as huber, an alias such as BCEWithLogitsLoss, or a family such as regression.`;
        return;
      }
      if (!found.entry.probe) {
        message.textContent = `${found.entry.name} has no curve: it ${found.entry.noCurve}.`;
        return;
      }
      const next = { name: found.entry.name, options: found.options };
      if (selection.some((s) => curveLabel(s) === curveLabel(next))) {
        message.textContent = `${curveLabel(next)} is already plotted.`;
        return;
      }
      selection = [...selection, next];
      message.textContent = `Added ${curveLabel(selection.at(-1)!)}${found.entry.name !== text.trim() ? ` (from '${text.trim()}')` : ''}.`;
    }
    query.value = '';
    changed();
  }

  let pending = false;
  let live: Chart[] = [];
  /** Re-renders once per animation frame, however many inputs fired. */
  function changed(cardsToo = true): void {
    writeState({ losses: JSON.stringify(selection), axis: classAxis, target: String(target) });
    for (const box of Array.from(lists.querySelectorAll<HTMLInputElement>('input[type=checkbox]'))) box.checked = selection.some((s) => s.name === box.dataset['loss']);
    if (cardsToo) renderCards();
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      void renderCharts();
    });
  }

  function renderCards(): void {
    cards.replaceChildren();
    selection.forEach((sel, index) => {
      const entry = byName.get(sel.name)!;
      const error = el('p', { className: 'error', role: 'alert' });
      const controls = el('div', { className: 'options' });
      for (const key of controllable(entry.factory.optionSpecs, entry.probe!.fixed)) {
        const spec = entry.factory.optionSpecs[key]!;
        controls.append(
          optionControl(key, spec, key in sel.options ? sel.options[key] : spec.default, (value) => {
            const next = { ...sel.options };
            if (value === undefined || value === spec.default) delete next[key];
            else next[key] = value;
            try {
              entry.factory({ ...next });
              error.textContent = '';
              sel.options = next;
              heading.textContent = curveLabel(sel);
              changed(false);
            } catch (e) {
              error.textContent = (e as Error).message;
            }
          }),
        );
      }
      if (controls.childElementCount === 0) controls.append(el('p', { className: 'hint', textContent: 'No options to shape this curve.' }));
      const shown = controllable(entry.factory.optionSpecs, entry.probe!.fixed);
      const fixed = Object.keys(entry.factory.optionSpecs).filter((k) => k !== 'reduction' && !shown.includes(k));
      if (fixed.length > 0) {
        const text = fixed.map((k) => (k in entry.probe!.fixed ? `${k} = ${entry.probe!.fixed[k]}` : k)).join(', ');
        controls.append(el('p', { className: 'hint', textContent: `Not varied on a 1-D curve (shapes, classes, aggregation): ${text}.` }));
      }
      const heading = el('h3', { textContent: curveLabel(sel) });
      const remove = el('button', { type: 'button', className: 'remove', textContent: 'Remove' });
      remove.setAttribute('aria-label', `Remove ${curveLabel(sel)}`);
      remove.addEventListener('click', () => {
        selection = selection.filter((_, i) => i !== index);
        changed();
      });
      const copy = el('button', { type: 'button', textContent: 'Duplicate' });
      copy.setAttribute('aria-label', `Duplicate ${curveLabel(sel)} to compare other options`);
      copy.addEventListener('click', () => {
        selection = [...selection.slice(0, index + 1), { name: sel.name, options: { ...sel.options } }, ...selection.slice(index + 1)];
        changed();
      });
      cards.append(el('article', { className: 'card' }, el('header', {}, heading, el('span', { className: 'buttons' }, copy, remove)), controls, error, docCard(entry)));
    });
    if (selection.length === 0) cards.append(el('p', { textContent: 'No loss selected: pick some on the left.' }));
  }

  async function renderCharts(): Promise<void> {
    const groups = new Map<AxisKind, CurveRow[]>();
    let dropped = 0;
    for (const sel of selection) {
      const entry = byName.get(sel.name)!;
      const probe = entry.probe!;
      const axis: AxisKind = probe.family === 'regression' ? 'error' : probe.family === 'distance' ? 'distance' : classAxis;
      const lossOptions = { ...sel.options, ...probe.fixed };
      const loss = entry.factory({ ...lossOptions, reduction: 'none' });
      const curve = evaluateCurve(loss, curveLabel(sel), probe, { axis, target });
      dropped += curve.dropped;
      groups.set(axis, [...(groups.get(axis) ?? []), ...curve.rows]);
    }
    for (const c of live) c.finalize();
    live = [];
    charts.replaceChildren();
    for (const [axis, rows] of groups) {
      const group = el('div', { className: 'chart-pair' });
      const lossBox = el('div', { className: 'chart', role: 'img' });
      const derivativeBox = el('div', { className: 'chart', role: 'img' });
      lossBox.setAttribute('aria-label', `Loss against ${AXES[axis].title}`);
      derivativeBox.setAttribute('aria-label', `Derivative of the loss against ${AXES[axis].title}`);
      group.append(lossBox, derivativeBox);
      charts.append(group);
      const dash = axis === 'error' ? undefined : 'series';
      live.push(await chart(lossBox, lineSpec({ title: 'Loss', x: 'x', xTitle: AXES[axis].title, y: 'value', yTitle: 'loss', color: 'loss', dash, domain: robustDomain(rows.map((r) => r.value)), data: rows })));
      live.push(await chart(derivativeBox, lineSpec({ title: 'Derivative (tf.grad)', x: 'x', xTitle: AXES[axis].title, y: 'derivative', yTitle: 'd loss / dx', color: 'loss', dash, domain: symmetric(rows.map((r) => r.derivative)), data: rows })));
    }
    if (dropped > 0) charts.append(el('p', { className: 'hint', textContent: `${dropped} points are not shown: the loss rejects those inputs or is not finite there.` }));
    const all = [...groups.values()].flat();
    renderTable(table, 'Plotted values (every 10th point)', ['loss', 'series', 'x', 'value', 'derivative'], all.filter((r) => r.point % 10 === 0));
    root.dataset['rendered'] = String(Number(root.dataset['rendered'] ?? 0) + 1);
  }

  changed();
}

/** A y domain for derivatives: robust on both sides. */
function symmetric(values: number[]): [number, number] {
  const [, hi] = robustDomain(values);
  const [, lo] = robustDomain(values.map((v) => -v));
  return [-lo, hi];
}
