/**
 * Inputs generated from a loss's option specs (`factory.optionSpecs[name].shape`): a slider plus a
 * number box for numbers (log scale for positive, unbounded ones), a checkbox for booleans, a menu
 * for choices. The default is marked on the slider (a tick) and in the label, and a reset button
 * returns to it. Every input has a label; all are native controls, so the keyboard works.
 */
import type { option } from 'lossforge';

type OptionSpec = option.OptionSpec<option.OptionValue>;
type OptionValue = option.OptionValue;

/** Options no 1-D curve can show: they concern shapes, classes or the reduction. */
const STRUCTURAL = new Set(['reduction', 'axis', 'classWeight', 'ignoreIndex', 'padValue', 'blank']);

/** The slider's range and scale for a numeric option. */
export interface SliderScale {
  min: number;
  max: number;
  log: boolean;
  integer: boolean;
}

/**
 * Where a slider for `spec` goes: its bounds when it has both, a log scale over four decades around
 * the default for a strictly positive unbounded option (δ, temperature), else a linear span of a few
 * units from the lower bound (γ, margins) or around the default.
 */
export function sliderScale(spec: OptionSpec): SliderScale | undefined {
  const shape = spec.shape;
  if (!shape || !['number', 'integer', 'numberOrArray'].includes(shape.kind)) return undefined;
  const integer = shape.kind === 'integer';
  const { min, max, minExclusive, maxExclusive } = shape.range ?? {};
  const fallback = typeof spec.default === 'number' ? spec.default : 1;
  if (min !== undefined && max !== undefined) {
    const pad = integer ? 0 : (max - min) / 1000;
    return { min: min + (minExclusive ? pad : 0), max: max - (maxExclusive ? pad : 0), log: false, integer };
  }
  if (min === 0 && minExclusive && !integer) {
    const center = fallback > 0 ? fallback : 1;
    return { min: center / 100, max: center * 100, log: true, integer };
  }
  if (min !== undefined) return { min, max: min + Math.max(5, 4 * Math.abs(fallback - min)), log: false, integer };
  if (max !== undefined) return { min: max - Math.max(5, 4 * Math.abs(max - fallback)), max, log: false, integer };
  return { min: fallback - 5, max: fallback + 5, log: false, integer };
}

/** The options of a spec list that get a control on a curve (not structural, not fixed by the probe). */
export function controllable(specs: Readonly<Record<string, OptionSpec>>, fixed: Record<string, OptionValue>): string[] {
  return Object.keys(specs).filter((k) => !STRUCTURAL.has(k) && !(k in fixed) && specs[k]!.shape && specs[k]!.shape!.kind !== 'value' && specs[k]!.shape!.kind !== 'numberArray' && specs[k]!.shape!.kind !== 'axis');
}

const format = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : String(+v.toPrecision(4)));

let uid = 0;

/**
 * One control for option `name` with current value `value`; `onChange` gets the new value
 * (undefined = not set, for optional options).
 */
export function optionControl(name: string, spec: OptionSpec, value: OptionValue, onChange: (v: OptionValue) => void): HTMLElement {
  const id = `opt-${++uid}`;
  const row = document.createElement('div');
  row.className = 'option';
  row.dataset['option'] = name;
  const shape = spec.shape!;
  const defaultText = spec.default === undefined ? 'not set' : String(spec.default);
  const label = document.createElement('label');
  label.htmlFor = id;
  label.innerHTML = `<code></code> <span class="hint">default ${defaultText}</span>`;
  label.querySelector('code')!.textContent = name;
  row.append(label);

  if (shape.kind === 'boolean') {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.id = id;
    box.checked = value === true;
    box.addEventListener('change', () => onChange(box.checked));
    row.prepend(box);
    row.classList.add('boolean');
    return row;
  }
  if (shape.kind === 'oneOf') {
    const select = document.createElement('select');
    select.id = id;
    for (const choice of shape.choices ?? []) select.add(new Option(choice + (choice === spec.default ? ' (default)' : ''), choice, false, choice === value));
    select.addEventListener('change', () => onChange(select.value));
    row.append(select);
    return row;
  }
  const scale = sliderScale(spec)!;
  const toSlider = (v: number) => (scale.log ? Math.log10(v) : v);
  const fromSlider = (s: number) => (scale.log ? 10 ** s : s);
  const wrap = document.createElement('div');
  wrap.className = 'slider';
  const enable = shape.optional ? document.createElement('input') : undefined;
  const slider = document.createElement('input');
  slider.type = 'range';
  slider.id = id;
  slider.min = String(toSlider(scale.min));
  slider.max = String(toSlider(scale.max));
  slider.step = scale.integer ? '1' : String((toSlider(scale.max) - toSlider(scale.min)) / 200);
  const box = document.createElement('input');
  box.type = 'number';
  box.step = 'any';
  box.setAttribute('aria-label', `${name} value`);
  const start = typeof value === 'number' ? value : typeof spec.default === 'number' ? spec.default : scale.log ? Math.sqrt(scale.min * scale.max) : (scale.min + scale.max) / 2;
  slider.value = String(toSlider(start));
  box.value = format(start);
  if (typeof spec.default === 'number') {
    const ticks = document.createElement('datalist');
    ticks.id = `${id}-default`;
    ticks.append(new Option(`default ${spec.default}`, String(toSlider(spec.default))));
    slider.setAttribute('list', ticks.id);
    wrap.append(ticks);
  }
  slider.setAttribute('aria-valuetext', format(start));
  const emit = (v: number) => {
    if (enable && !enable.checked) return;
    onChange(scale.integer ? Math.round(v) : v);
  };
  slider.addEventListener('input', () => {
    const v = fromSlider(Number(slider.value));
    box.value = format(v);
    slider.setAttribute('aria-valuetext', box.value);
    emit(v);
  });
  box.addEventListener('change', () => {
    const v = Number(box.value);
    if (box.value.trim() === '' || !Number.isFinite(v)) return;
    slider.value = String(toSlider(Math.min(Math.max(v, scale.min), scale.max)));
    emit(v);
  });
  if (enable) {
    enable.type = 'checkbox';
    enable.checked = value !== undefined;
    enable.setAttribute('aria-label', `set ${name}`);
    const sync = () => {
      slider.disabled = box.disabled = !enable.checked;
    };
    sync();
    enable.addEventListener('change', () => {
      sync();
      onChange(enable.checked ? fromSlider(Number(slider.value)) : undefined);
    });
    wrap.append(enable);
  }
  wrap.append(slider, box);
  if (spec.default !== undefined) {
    const reset = document.createElement('button');
    reset.type = 'button';
    reset.className = 'reset';
    reset.textContent = '↺';
    reset.title = `reset ${name} to its default`;
    reset.setAttribute('aria-label', `reset ${name} to its default, ${defaultText}`);
    reset.addEventListener('click', () => {
      slider.value = String(toSlider(spec.default as number));
      box.value = format(spec.default as number);
      onChange(spec.default);
    });
    wrap.append(reset);
  }
  row.append(wrap);
  return row;
}
