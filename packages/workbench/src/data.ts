/**
 * Building a dataset from CSV text (parsed by csv-parse): column types, the target and the task.
 * Browser-safe: reading files (`--data` paths and the built-in datasets in the package's datasets/
 * folder) is the Node edge's job (node.ts: `readTable`, `loadDataset`). Nothing here is fitted to the
 * data in a way that could leak between folds: imputation, one-hot levels and scaling live in
 * preprocess.ts and are fitted per training fold.
 */
// csv-parse's browser build (its own Buffer polyfill inside): the same parser in Node and in the page.
import { parse } from 'csv-parse/browser/esm/sync';
import { DataError, UsageError } from './errors.js';
import type { Task } from './metrics.js';

/** The built-in datasets and their default targets. */
export const BUILTIN_DATASETS: Record<string, { target: string; description: string }> = {
  breast_cancer: { target: 'benign', description: 'Breast Cancer Wisconsin (Diagnostic): 569 rows, 30 features, binary' },
  digits: { target: 'digit', description: 'UCI handwritten digits 8x8: 1797 rows, 64 features, 10 classes' },
  iris: { target: 'species', description: 'Fisher\'s iris: 150 rows, 4 features, 3 classes' },
  penguins: { target: 'species', description: 'Palmer penguins: 344 rows, categoricals and NA values; species or body_mass_g' },
};

const MISSING = new Set(['', 'na', 'nan', 'n/a', 'null']);

/** True for the cells treated as missing: empty, NA, NaN, N/A, null (any case). */
export function isMissing(cell: string): boolean {
  return MISSING.has(cell.trim().toLowerCase());
}

export type FeatureColumn =
  | { name: string; kind: 'numeric'; values: Float64Array /* NaN = missing */ }
  | { name: string; kind: 'categorical'; values: (string | null)[] /* null = missing */ };

/** A column left out of the features, and why. */
export interface DroppedColumn {
  name: string;
  reason: string;
}

/** Which columns become features: `drop` leaves columns out, `features` keeps only these (both by name). */
export interface ColumnChoice {
  drop?: string[];
  features?: string[];
}

/** Text columns with more distinct values than this (and fewer than `MIN_ROWS_PER_LEVEL` rows per value on average) are free text. */
export const MAX_TEXT_LEVELS = 50;
export const MIN_ROWS_PER_LEVEL = 20;
/** Columns unique per row are ids only from this many rows on (a handful of distinct integers is no evidence). */
export const MIN_ROWS_FOR_ID = 10;

/**
 * Why a feature column should be left out, or undefined to keep it:
 * - an id: every row holds a different value, integers or text (it names the row, it says nothing
 *   about the target, and one-hot encoding it makes one column per row);
 * - free text: a text column with more than `MAX_TEXT_LEVELS` distinct values and fewer than
 *   `MIN_ROWS_PER_LEVEL` rows per value on average (one-hot levels too rare to learn from).
 */
export function columnProblem(column: FeatureColumn): string | undefined {
  const present = column.kind === 'numeric' ? [...column.values].filter((v) => !Number.isNaN(v)) : column.values.filter((v): v is string => v !== null);
  const distinct = new Set<number | string>(present).size;
  if (present.length >= MIN_ROWS_FOR_ID && distinct === present.length) {
    if (column.kind === 'categorical') return `id-like: a different text value in each of its ${present.length} rows`;
    if (present.every((v) => Number.isInteger(v))) return `id-like: a different integer in each of its ${present.length} rows`;
  }
  if (column.kind === 'categorical' && distinct > MAX_TEXT_LEVELS && present.length / distinct < MIN_ROWS_PER_LEVEL) {
    return `high-cardinality text: ${distinct} distinct values in ${present.length} rows (more than ${MAX_TEXT_LEVELS}, fewer than ${MIN_ROWS_PER_LEVEL} rows each on average)`;
  }
  return undefined;
}

export interface Dataset {
  /** The file path or `builtin:NAME`. */
  source: string;
  target: string;
  task: Task;
  /** Class labels as they appear in the file, sorted (numerically when numeric); empty for regression. */
  classes: string[];
  /** Class index (classification) or target value (regression), one per kept row. */
  y: Float64Array;
  features: FeatureColumn[];
  n: number;
  /** Missing feature cells (imputed per training fold). */
  missingCells: number;
  /** Rows dropped because the target was missing. */
  droppedRows: number;
  /** Columns left out of the features (ids, free text, --drop, not in --features), with the reason. */
  droppedColumns: DroppedColumn[];
  /** The target holds non-negative integers read as counts (regression; poisson among the default candidates). */
  counts: boolean;
  /** How the task was decided: read from the target (and why) or given by --task. */
  taskReason: string;
  /** Things the user should know (e.g. a column read as categorical because of a stray text cell). */
  warnings: string[];
}

export interface RawTable {
  source: string;
  header: string[];
  rows: string[][];
  /** The CSV line number of each row (for error messages). */
  lines: number[];
}

/** The delimiters `sniffDelimiter` recognizes. */
export const DELIMITERS = [',', ';', '\t'] as const;

/**
 * The delimiter of a CSV file: of `,`, `;` and tab, the one that occurs most often outside quotes in
 * the first non-empty line (the header); `,` when none occurs (a single column).
 */
export function sniffDelimiter(text: string): string {
  const line = text.replace(/^\uFEFF/, '').split(/\r?\n/).find((l) => l.trim() !== '') ?? '';
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const c of line) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ',';
  for (const d of DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

const delimiterName = (d: string) => (d === '\t' ? 'tab' : `'${d}'`);

/** Parses CSV text (one header row; delimiter `,`, `;` or tab, sniffed from the header). Malformed input raises a DataError naming the source and line. */
export function parseCsv(text: string, source: string): RawTable {
  let records: { record: string[]; info: { lines: number } }[];
  const delimiter = sniffDelimiter(text);
  try {
    records = parse(text, { info: true, skip_empty_lines: true, bom: true, trim: true, delimiter }) as unknown as typeof records;
  } catch (error) {
    const e = error as { lines?: number; message: string };
    const where = e.lines !== undefined ? `line ${e.lines}: ` : '';
    throw new DataError(`${source}: ${where}malformed CSV (read with delimiter ${delimiterName(delimiter)}): ${e.message}`);
  }
  if (records.length === 0) throw new DataError(`${source}: the file is empty (expected a header row and data rows)`);
  const header = records[0]!.record;
  const seen = new Set<string>();
  header.forEach((name, i) => {
    if (name === '') throw new DataError(`${source}: line ${records[0]!.info.lines}: column ${i + 1} of the header has no name`);
    if (seen.has(name)) throw new DataError(`${source}: line ${records[0]!.info.lines}: duplicate column name '${name}' in the header`);
    seen.add(name);
  });
  if (records.length < 2) throw new DataError(`${source}: no data rows after the header`);
  if (header.length < 2) {
    throw new DataError(`${source}: the header '${header[0]}' has a single column: expected columns separated by ',', ';' or a tab`);
  }
  return {
    source,
    header,
    rows: records.slice(1).map((r) => r.record),
    lines: records.slice(1).map((r) => r.info.lines),
  };
}

/** The default target: the built-in dataset's documented target, or the last column. */
export function defaultTarget(spec: string, table: RawTable): string {
  const name = spec.startsWith('builtin:') ? spec.slice('builtin:'.length) : undefined;
  return (name && BUILTIN_DATASETS[name]?.target) || table.header[table.header.length - 1]!;
}

function asNumber(cell: string): number | undefined {
  if (cell.trim() === '') return undefined;
  const x = Number(cell);
  return Number.isFinite(x) ? x : undefined;
}

export type TaskOption = 'auto' | Task;

/** The largest number of distinct integer values a numeric target may have to be read as classes. */
export const MAX_AUTO_CLASSES = 20;

/** Non-negative integer targets with at least this many distinct values may be read as counts (fewer: a small label set, always classes). */
export const MIN_COUNT_VALUES = 6;

/** The right-tail rule of counts: the largest value's frequency is at most this share of the most frequent value's. */
export const COUNT_TAIL_RATIO = 0.2;

/** How the target was read: the task, whether it holds counts, and why (shown by advise). */
export interface TaskReading {
  task: Task;
  /** Non-negative integers read as counts: regression, with `poisson` among the default candidates. */
  counts: boolean;
  reason: string;
}

/**
 * Reads the task from a target column:
 * - text labels, or only two distinct values: classes (binary with two);
 * - numbers that are not all integers: regression;
 * - non-negative integers that reach down to 0 or 1 (counts start near zero; integer grams or years
 *   do not): counts (regression, with poisson among the candidates) when there are more
 *   than `MAX_AUTO_CLASSES` distinct values, or at least `MIN_COUNT_VALUES` distinct values whose
 *   frequencies fall away to the right like a count distribution (the largest value is not the most
 *   frequent and occurs at most `COUNT_TAIL_RATIO` times as often as the most frequent one), e.g.
 *   Poisson(3); a balanced label set such as the digits 0–9 stays classes;
 * - other integers: classes when there are at most `MAX_AUTO_CLASSES` distinct values, else regression.
 * `--task` overrides the reading.
 */
export function readTask(values: readonly string[]): TaskReading {
  const distinct = new Set(values);
  const numbers = values.map(asNumber);
  const numeric = numbers.every((x) => x !== undefined);
  if (!numeric) {
    return { task: distinct.size <= 2 ? 'binary' : 'multiclass', counts: false, reason: `text labels (${distinct.size} distinct): classes` };
  }
  if (distinct.size <= 2) return { task: 'binary', counts: false, reason: 'two distinct values: binary classes' };
  if (!numbers.every((x) => Number.isInteger(x))) return { task: 'regression', counts: false, reason: 'numbers that are not all integers: regression' };
  const frequency = new Map<number, number>();
  for (const x of numbers as number[]) frequency.set(x, (frequency.get(x) ?? 0) + 1);
  const nonNegative = [...frequency.keys()].every((x) => x >= 0);
  if (nonNegative && Math.min(...frequency.keys()) <= 1) {
    if (frequency.size > MAX_AUTO_CLASSES) {
      return { task: 'regression', counts: true, reason: `non-negative integers with ${frequency.size} distinct values (more than ${MAX_AUTO_CLASSES}): counts, read as regression` };
    }
    const max = Math.max(...frequency.keys());
    const [mode, modeCount] = [...frequency.entries()].reduce((a, b) => (b[1] > a[1] ? b : a));
    const tail = frequency.get(max)! / modeCount;
    if (frequency.size >= MIN_COUNT_VALUES && mode !== max && tail <= COUNT_TAIL_RATIO) {
      return {
        task: 'regression',
        counts: true,
        reason: `non-negative integers with ${frequency.size} distinct values whose frequencies fall away to the right (the largest, ${max}, occurs ${frequency.get(max)} times, the most frequent, ${mode}, ${modeCount} times): counts, read as regression`,
      };
    }
  }
  if (frequency.size <= MAX_AUTO_CLASSES) {
    return { task: 'multiclass', counts: false, reason: `integers with ${frequency.size} distinct values and no count-like right tail: classes` };
  }
  return { task: 'regression', counts: false, reason: `integers with ${frequency.size} distinct values (more than ${MAX_AUTO_CLASSES}): regression` };
}

/** The task `readTask` reads from a target column. */
export function inferTask(values: readonly string[]): Task {
  return readTask(values).task;
}

function sortLabels(labels: string[]): string[] {
  const numeric = labels.every((l) => asNumber(l) !== undefined);
  return labels.sort(numeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Builds the dataset: target and task resolved and checked, feature columns typed. */
export function buildDataset(table: RawTable, target: string, taskOption: TaskOption = 'auto', choice: ColumnChoice = {}): Dataset {
  const { source, header, rows, lines } = table;
  const targetIndex = header.indexOf(target);
  if (targetIndex < 0) {
    throw new UsageError(`--target: ${source} has no column '${target}' (columns: ${header.join(', ')})`);
  }
  for (const [flag, names] of [['--drop', choice.drop], ['--features', choice.features]] as const) {
    for (const name of names ?? []) {
      if (!header.includes(name)) throw new UsageError(`${flag}: ${source} has no column '${name}' (columns: ${header.join(', ')})`);
      if (name === target) throw new UsageError(`${flag}: '${name}' is the target column`);
    }
  }
  const droppedColumns: DroppedColumn[] = [];
  const warnings: string[] = [];
  const kept: number[] = [];
  rows.forEach((row, i) => {
    if (!isMissing(row[targetIndex]!)) kept.push(i);
  });
  const droppedRows = rows.length - kept.length;
  if (droppedRows > 0) warnings.push(`${droppedRows} row(s) with a missing target '${target}' were dropped`);
  if (kept.length < 2) throw new DataError(`${source}: column '${target}' has fewer than two rows with a value`);
  const targetValues = kept.map((i) => rows[i]![targetIndex]!);

  const reading = readTask(targetValues);
  let task: Task = taskOption === 'auto' ? reading.task : taskOption;
  const taskReason = taskOption === 'auto' ? `${reading.reason} (override with --task)` : `--task ${taskOption} (the target alone reads as ${reading.task}: ${reading.reason})`;
  const distinct = sortLabels([...new Set(targetValues)]);
  let classes: string[] = [];
  let y: Float64Array;
  if (task === 'regression') {
    const bad = targetValues.findIndex((v) => asNumber(v) === undefined);
    if (bad >= 0) {
      throw new UsageError(`--task regression: ${source}: line ${lines[kept[bad]!]}: target '${target}' holds '${targetValues[bad]}', not a number`);
    }
    y = Float64Array.from(targetValues, Number);
    if (new Set(y).size < 2) throw new DataError(`${source}: target column '${target}' has a single value (${y[0]}): nothing to learn`);
  } else {
    if (distinct.length < 2) {
      throw new DataError(`${source}: target column '${target}' has a single class ('${distinct[0]}'): classification needs at least two`);
    }
    if (task === 'binary' && distinct.length > 2) {
      throw new UsageError(`--task binary: target '${target}' in ${source} has ${distinct.length} classes (${distinct.slice(0, 5).join(', ')}…); use --task multiclass`);
    }
    if (task === 'multiclass' && distinct.length === 2) task = 'binary';
    classes = distinct;
    const index = new Map(classes.map((c, i) => [c, i]));
    y = Float64Array.from(targetValues, (v) => index.get(v)!);
    const counts = classes.map((_, c) => y.filter((v) => v === c).length);
    const rare = classes.filter((_, c) => counts[c]! < 2);
    if (rare.length > 0) warnings.push(`class(es) ${rare.join(', ')} of '${target}' have a single row: they cannot appear in both training and test folds`);
  }

  let missingCells = 0;
  const features: FeatureColumn[] = [];
  header.forEach((name, col) => {
    if (col === targetIndex) return;
    if (choice.drop?.includes(name)) return void droppedColumns.push({ name, reason: 'left out by --drop' });
    if (choice.features && !choice.features.includes(name)) return void droppedColumns.push({ name, reason: 'not in --features' });
    const cells = kept.map((i) => rows[i]![col]!);
    const missing = cells.map(isMissing);
    const nonNumeric = cells.findIndex((c, i) => !missing[i] && asNumber(c) === undefined);
    const present = missing.filter((m) => !m).length;
    if (present === 0) {
      warnings.push(`column '${name}' has no values and was ignored`);
      return;
    }
    const column: FeatureColumn =
      nonNumeric < 0
        ? { name, kind: 'numeric', values: Float64Array.from(cells, (c, i) => (missing[i] ? NaN : Number(c))) }
        : { name, kind: 'categorical', values: cells.map((c, i) => (missing[i] ? null : c)) };
    // A column the user named in --features is kept as it is.
    const problem = choice.features ? undefined : columnProblem(column);
    if (problem) return void droppedColumns.push({ name, reason: problem });
    if (nonNumeric >= 0 && cells.filter((c, i) => !missing[i] && asNumber(c) !== undefined).length / present >= 0.9) {
      warnings.push(`column '${name}' is mostly numbers but line ${lines[kept[nonNumeric]!]} holds '${cells[nonNumeric]}': it was read as categorical`);
    }
    missingCells += missing.filter(Boolean).length;
    features.push(column);
  });
  const automatic = droppedColumns.filter((d) => !d.reason.includes('--'));
  if (automatic.length > 0) {
    warnings.push(`left out ${automatic.map((d) => `'${d.name}' (${d.reason})`).join(', ')}; keep a column with --features`);
  }
  if (features.length === 0) {
    const left = droppedColumns.length > 0 ? ` (left out: ${droppedColumns.map((d) => `${d.name}: ${d.reason}`).join('; ')})` : '';
    throw new DataError(`${source}: no feature columns besides the target '${target}'${left}`);
  }
  const counts = task === 'regression' && reading.counts;
  return { source, target, task, classes, y, features, n: kept.length, missingCells, droppedRows, droppedColumns, warnings, counts, taskReason };
}

/** The column choices and task of a dataset (`--target`, `--task`, `--drop`, `--features`). */
export interface DatasetOptions extends ColumnChoice {
  /** Default: the built-in dataset's target (when `table.source` is `builtin:NAME`), else the last column. */
  target?: string;
  task?: TaskOption;
}

/** Builds the dataset of a parsed table, its target defaulting to the built-in's target or the last column. */
export function tableDataset(table: RawTable, options: DatasetOptions = {}): Dataset {
  return buildDataset(table, options.target ?? defaultTarget(table.source, table), options.task ?? 'auto', { drop: options.drop, features: options.features });
}

/** Class counts of a classification dataset (index-aligned with `classes`), over `rows` (default: all rows). */
export function classCounts(data: Dataset, rows?: readonly number[]): number[] {
  const counts = new Array<number>(data.classes.length).fill(0);
  if (rows) for (const r of rows) counts[data.y[r]!]! += 1;
  else for (const c of data.y) counts[c]! += 1;
  return counts;
}
