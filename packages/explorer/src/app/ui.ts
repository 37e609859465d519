/** Small DOM helpers shared by the views. */
import type { CatalogEntry } from './catalog.js';

type Props<K extends keyof HTMLElementTagNameMap> = Partial<HTMLElementTagNameMap[K]> & { role?: string; ariaLabel?: string };

/** `document.createElement` with properties and children. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props<K> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  const { role, ariaLabel, ...rest } = props;
  Object.assign(node, rest);
  if (role) node.setAttribute('role', role);
  if (ariaLabel) node.setAttribute('aria-label', ariaLabel);
  node.append(...children);
  return node;
}

const FAMILY_TITLES: Record<string, string> = {
  regression: 'Regression',
  classification: 'Classification',
  margin: 'Margin (hinge)',
  divergence: 'Divergence',
  segmentation: 'Segmentation',
  metric: 'Metric learning',
  sequence: 'Sequence',
  other: 'Other',
};

export const familyTitle = (family: string): string => FAMILY_TITLES[family] ?? family;

/** Text with `code` spans rendered as <code>. */
export function richText(tag: 'p' | 'span', text: string, className = ''): HTMLElement {
  const node = el(tag, { className });
  text.split(/(`[^`]+`)/).forEach((part) => node.append(part.startsWith('`') && part.endsWith('`') ? el('code', { textContent: part.slice(1, -1) }) : part));
  return node;
}

/** The documentation beside a curve: headline (formula), when to choose it, the full comment and example. */
export function docCard(entry: CatalogEntry): HTMLElement {
  const doc = entry.doc;
  if (!doc) return el('p', { className: 'hint', textContent: 'No documentation found for this loss.' });
  const box = el('div', { className: 'doc' }, richText('p', doc.headline, 'formula'));
  if (doc.choose) box.append(el('p', { className: 'choose' }, el('strong', { textContent: 'Choose it when: ' }), richText('span', doc.choose)));
  if (doc.aliases.length > 0) box.append(el('p', { className: 'hint', textContent: `Also known as ${doc.aliases.join(', ')}` }));
  const details = el('details', {}, el('summary', { textContent: 'Full documentation' }), el('pre', { textContent: doc.doc }));
  if (doc.example) details.append(el('pre', { className: 'example', textContent: doc.example }));
  box.append(details);
  return box;
}

const cell = (v: unknown): string => (typeof v === 'number' ? String(+v.toPrecision(5)) : String(v));

/** Fills a <details> with a summary and a table of `rows` (the charts' data, for screen readers and tests). */
export function renderTable(details: HTMLDetailsElement, summary: string, columns: string[], rows: Record<string, unknown>[]): void {
  const open = details.open;
  const table = el('table', {}, el('thead', {}, el('tr', {}, ...columns.map((c) => el('th', { scope: 'col', textContent: c })))));
  const body = el('tbody');
  for (const row of rows) body.append(el('tr', {}, ...columns.map((c) => el('td', { textContent: cell(row[c]) }))));
  table.append(body);
  details.replaceChildren(el('summary', { textContent: summary }), el('div', { className: 'table-scroll' }, table));
  details.open = open;
}
