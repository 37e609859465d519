/**
 * The loss explorer: lossforge and tfjs (wasm backend, lossforge's fused kernels) in the page, offline.
 * Views: Curves, Live fit, Your own loss, Compare (the CLI's compare, in Web Workers).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { fusedKernelsReady } from 'lossforge';
import docs from 'lossforge-explorer:docs';
import { buildCatalog, type CatalogEntry } from './catalog.js';
import { readState, writeState } from './state.js';
import { el } from './ui.js';
import { curvesView } from './views/curves.js';
import { customView } from './views/custom.js';
import { fitView } from './views/fit.js';

interface View {
  id: string;
  title: string;
  render(root: HTMLElement, catalog: CatalogEntry[]): void;
}

/** The views, in tab order (each renders into its own tab panel the first time it is shown). */
const VIEWS: View[] = [
  { id: 'curves', title: 'Curves', render: curvesView },
  { id: 'fit', title: 'Live fit', render: fitView },
  { id: 'custom', title: 'Your own loss', render: customView },
  // Loaded when first shown: the workbench's study logic and the full tfjs it trains with.
  { id: 'compare', title: 'Compare', render: (root) => void import('./views/compare.js').then((m) => m.compareView(root)) },
];

/** tfjs on WebAssembly, binaries from our own origin (wasm/); the cpu backend if wasm cannot start. */
async function startTf(): Promise<string> {
  setWasmPaths(new URL('wasm/', document.baseURI).href);
  const ok = await tf.setBackend('wasm').catch(() => false);
  if (!ok) await tf.setBackend('cpu');
  await tf.ready();
  await fusedKernelsReady();
  return tf.getBackend();
}

function tabs(catalog: CatalogEntry[]): void {
  const nav = document.getElementById('views')!;
  const panels = document.getElementById('panels')!;
  const rendered = new Set<string>();
  const buttons = VIEWS.map((view) => {
    const button = el('button', { type: 'button', role: 'tab', id: `tab-${view.id}`, textContent: view.title });
    button.setAttribute('aria-controls', `panel-${view.id}`);
    button.addEventListener('click', () => show(view.id));
    button.addEventListener('keydown', (event) => {
      const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
      if (step === 0) return;
      const next = VIEWS[(VIEWS.indexOf(view) + step + VIEWS.length) % VIEWS.length]!;
      show(next.id);
      document.getElementById(`tab-${next.id}`)!.focus();
    });
    nav.append(button);
    const panel = el('section', { role: 'tabpanel', id: `panel-${view.id}`, hidden: true });
    panel.setAttribute('aria-labelledby', button.id);
    panels.append(panel);
    return button;
  });
  function show(id: string): void {
    const view = VIEWS.find((v) => v.id === id) ?? VIEWS[0]!;
    writeState({ view: view.id });
    VIEWS.forEach((v, i) => {
      const selected = v === view;
      buttons[i]!.setAttribute('aria-selected', String(selected));
      buttons[i]!.tabIndex = selected ? 0 : -1;
      document.getElementById(`panel-${v.id}`)!.hidden = !selected;
    });
    if (!rendered.has(view.id)) {
      rendered.add(view.id);
      view.render(document.getElementById(`panel-${view.id}`)!, catalog);
    }
  }
  show(readState().get('view') ?? 'curves');
}

/** An unexpected failure is shown in the page (and still reported to the console by the browser). */
function showFailures(status: HTMLElement): void {
  const show = (reason: unknown) => {
    status.textContent = `Something failed: ${(reason as Error)?.message ?? String(reason)}`;
    status.setAttribute('role', 'alert');
  };
  window.addEventListener('error', (event) => show(event.error ?? event.message));
  window.addEventListener('unhandledrejection', (event) => show(event.reason));
}

async function main(): Promise<void> {
  const status = document.getElementById('status')!;
  showFailures(status);
  try {
    const backend = await startTf();
    status.textContent = `tfjs ${tf.version_core} on ${backend}`;
    tabs(buildCatalog(docs));
    document.body.dataset['ready'] = 'true';
  } catch (error) {
    status.textContent = `The explorer could not start: ${(error as Error).message}`;
    status.setAttribute('role', 'alert');
  }
}

void main();
