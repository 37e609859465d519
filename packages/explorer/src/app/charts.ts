/**
 * Charts with vega-lite (through vega-embed): SVG, no actions menu, no loader requests. `lineChart`
 * draws curves; `Chart.update` swaps a named dataset in place (for the animated live fit).
 */
import embed, { vega, type VisualizationSpec } from 'vega-embed';

export type Row = Record<string, number | string>;

export interface Chart {
  /** Replaces the rows of dataset `name`. */
  update(name: string, rows: Row[]): Promise<void>;
  finalize(): void;
}

const EMBED_OPTIONS = { actions: false, renderer: 'svg' as const, tooltip: false, config: { font: 'system-ui, sans-serif' } };

/** Embeds `spec` into `element` (replacing what was there); canvas for charts with many marks redrawn often. */
export async function chart(element: HTMLElement, spec: VisualizationSpec, renderer: 'svg' | 'canvas' = 'svg'): Promise<Chart> {
  // An unpadded inner box: vega-embed sizes a 'container'-wide chart by its element's width.
  const target = document.createElement('div');
  element.replaceChildren(target);
  const result = await embed(target, spec, { ...EMBED_OPTIONS, renderer });
  const view = result.view;
  return {
    update: async (name, rows) => {
      await view.change(name, vega.changeset().remove(() => true).insert(rows)).runAsync();
    },
    finalize: () => result.finalize(),
  };
}

/** A robust upper end for a y axis: the 97th percentile plus a margin, so that one exploding curve does not flatten the others. */
export function robustDomain(values: number[]): [number, number] {
  if (values.length === 0) return [0, 1];
  const sorted = [...values].sort((a, b) => a - b);
  const lo = sorted[0]!;
  const hi = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.97))]!;
  const pad = (hi - lo) * 0.08 || 1;
  return [lo - (lo < 0 ? pad : 0), hi + pad];
}

/** Lines of `y` against `x`, colored by `color` and dashed by `dash`, y clipped to `domain`. */
export function lineSpec(options: { title: string; x: string; xTitle: string; y: string; yTitle: string; color: string; dash?: string; domain?: [number, number]; data: Row[]; height?: number }): VisualizationSpec {
  const { title, x, xTitle, y, yTitle, color, dash, domain, data, height = 240 } = options;
  return {
    title,
    width: 'container',
    height,
    autosize: { type: 'fit-x', contains: 'padding', resize: true },
    data: { name: 'rows', values: data },
    mark: { type: 'line', clip: true, strokeWidth: 2 },
    encoding: {
      x: { field: x, type: 'quantitative', title: xTitle },
      y: { field: y, type: 'quantitative', title: yTitle, scale: domain ? { domain, nice: false } : { zero: false } },
      color: { field: color, type: 'nominal', title: null, legend: { orient: 'bottom', columns: 1, labelLimit: 480 } },
      ...(dash ? { strokeDash: { field: dash, type: 'nominal', title: null, legend: { orient: 'bottom' } } } : {}),
      detail: dash ? { field: dash, type: 'nominal' } : undefined,
    },
  } as VisualizationSpec;
}
