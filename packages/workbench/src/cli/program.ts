/**
 * The `lossforge` command line: compare | advise | tune. `runCli(argv)` returns the exit code
 * (0 ok, 1 failure, 2 usage error) instead of exiting, so tests can call it in-process.
 */
import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { defaultCandidates, parseLossList, type CandidateInput } from '../candidates.js';
import { COMPARE_DEFAULTS, MAX_EPOCHS, modelText, parseModel, type CompareProgress, type CompareResult, type TrainingSettings } from '../compare.js';
import { diagnose, formatDiagnostics, formatRecommendations, recommend } from '../advise.js';
import { BUILTIN_DATASETS, type TaskOption } from '../data.js';
import { loadDataset } from '../dataFiles.js';
import { UsageError, WorkbenchError } from '../errors.js';
import { ensureOutputDir, writeAtomic } from '../files.js';
import { formatCompare, formatNumber, formatTune } from '../format.js';
import { metricsFor } from '../metrics.js';
import { defaultWorkers } from '../pool.js';
import { createProgress, type Progress } from '../progress.js';
import { renderCompareReport, renderTuneReport, runCompare } from '../node.js';
import { runTune, TUNE_DEFAULTS, type SamplerName } from '../tune.js';
import { integer, positiveNumber, probability } from './options.js';
import { storageOptions, studyBackend, withCompareStorage, workerCommand } from './storage.js';
import { PATIENCE } from '../train.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Force the progress style (tests); default: bars when stdout and stderr are TTYs. */
  interactive?: boolean;
}

const defaultIo: CliIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
};

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const TASKS = ['auto', 'binary', 'multiclass', 'regression'] as const;
const builtins = Object.keys(BUILTIN_DATASETS).map((n) => `builtin:${n}`).join(', ');

/** A default candidate as the help shows it: `name` or `name {option: value, …}`. */
function candidateText(candidate: CandidateInput): string {
  if (typeof candidate === 'string') return candidate;
  const { name, ...options } = candidate;
  return `${name} {${Object.entries(options).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}}`;
}

/** Options every data-driven command shares. */
function dataOptions(cmd: Command, defaultData?: string): Command {
  return cmd
    .addOption(new Option('--data <file>', `CSV file with a header row, or one of ${builtins}`).default(defaultData))
    .option('--target <column>', 'target column (default: the built-in\'s target, else the last column)')
    .option('--drop <columns>', 'columns to leave out, comma-separated (ids and free text are left out automatically)', columnList('--drop'))
    .option('--features <columns>', 'the only columns to use as features, comma-separated (kept as they are: no automatic id/free-text detection)', columnList('--features'))
    .addOption(new Option('--task <task>', 'task; auto infers it from the target').choices(TASKS).default('auto'))
    .option('--seed <n>', 'random seed: the same seed gives the same results', integer(0), COMPARE_DEFAULTS.seed)
    .option('--json', 'print the result as JSON on stdout (progress goes to stderr)')
    .option('-q, --quiet', 'no progress output');
}

/** Options of the commands that run a comparison and write its report (compare, advise --verify); `help` gives their help texts. */
function comparisonOptions(cmd: Command, help: { alpha: string; out: string }): Command {
  return cmd
    .option('--alpha <a>', help.alpha, probability, COMPARE_DEFAULTS.alpha)
    .option('--out <dir>', help.out, './lossforge-report');
}

function trainingOptions(cmd: Command, defaults: { repeats?: number; folds?: number } = {}): Command {
  return cmd
    .option('--folds <k>', 'folds per repeat (stratified for classification)', integer(2), defaults.folds ?? COMPARE_DEFAULTS.folds)
    .option('--repeats <r>', 'repeats of the k-fold split', integer(1), defaults.repeats ?? COMPARE_DEFAULTS.repeats)
    .option('--epochs <n>', `a fixed number of training epochs per split (default: early stopping on a validation split of the training fold, patience ${PATIENCE}, at most ${MAX_EPOCHS} epochs)`, integer(1))
    .option('--batch-size <n>', 'mini-batch size', integer(1), COMPARE_DEFAULTS.batchSize)
    .option('--model <spec>', 'network: mlp:SIZES (ReLU hidden layers, e.g. mlp:64,32) or linear', modelText(COMPARE_DEFAULTS.hidden))
    .option('--lr <rate>', 'Adam learning rate', positiveNumber, COMPARE_DEFAULTS.learningRate)
    .option('--metric <name>', 'ranking metric (default: balancedAccuracy for classification, rmse for regression)')
    .option('--workers <n>', 'worker threads (1 = run in this thread)', integer(1), defaultWorkers());
}

/** Parses a comma-separated column list (`--drop`, `--features`). */
function columnList(flag: string): (text: string) => string[] {
  return (text) => {
    const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
    if (names.length === 0) throw new UsageError(`${flag}: expected column names separated by commas, got '${text}'`);
    return names;
  };
}

interface CommonOptions {
  data: string;
  target?: string;
  drop?: string[];
  features?: string[];
  task: TaskOption;
  seed: number;
  json?: boolean;
  quiet?: boolean;
}

interface TrainingFlags {
  folds: number;
  repeats: number;
  epochs?: number;
  batchSize: number;
  model: string;
  lr: number;
  metric?: string;
  workers: number;
}

/** Writes results.json (the result, indented) and report.html into `out`, each atomically; returns their paths. */
function writeOutputs(out: string, result: unknown, reportHtml: string): { json: string; html: string } {
  ensureOutputDir(out);
  const json = join(out, 'results.json');
  const html = join(out, 'report.html');
  writeAtomic(json, `${JSON.stringify(result, null, 2)}\n`);
  writeAtomic(html, reportHtml);
  return { json, html };
}

/** The flags every training command shares, as the workbench's settings. */
function trainingSettings(opts: CommonOptions & TrainingFlags): TrainingSettings {
  return {
    data: opts.data,
    target: opts.target,
    drop: opts.drop,
    features: opts.features,
    task: opts.task,
    folds: opts.folds,
    repeats: opts.repeats,
    epochs: opts.epochs,
    batchSize: opts.batchSize,
    hidden: parseModel(opts.model),
    learningRate: opts.lr,
    seed: opts.seed,
    metric: opts.metric,
    workers: opts.workers,
  };
}

function progressFor(opts: CommonOptions, io: CliIo, label: string): Progress {
  return createProgress({ quiet: Boolean(opts.quiet), label, interactive: io.interactive, write: io.stderr });
}

/** Progress hooks of a comparison: one tick per training, named by loss, repeat and fold. */
function compareProgress(progress: Progress): CompareProgress {
  return {
    start: (total) => progress.start(total),
    tick: (o) => progress.tick(`${o.label} r${o.repeat + 1}f${o.fold + 1}`),
    stop: () => progress.stop(),
  };
}

async function compareCommand(opts: CommonOptions & TrainingFlags & { losses?: string; out: string; alpha: number; storage?: string; study?: string; resume?: boolean }, io: CliIo): Promise<number> {
  ensureOutputDir(resolve(opts.out));
  const settings = { ...trainingSettings(opts), losses: opts.losses ? parseLossList(opts.losses) : undefined, alpha: opts.alpha };
  const result = await withCompareStorage(opts, basename(resolve(opts.out)), settings, (runner) =>
    runCompare({ ...settings, runner }, compareProgress(progressFor(opts, io, 'compare'))),
  );
  const paths = writeOutputs(resolve(opts.out), result, renderCompareReport(result));
  if (opts.json) {
    io.stdout(`${JSON.stringify(result)}\n`);
  } else {
    io.stdout(`${formatCompare(result)}\n\nReport: ${paths.html}\nResults: ${paths.json}\n`);
  }
  return 0;
}

async function adviseCommand(
  opts: CommonOptions & TrainingFlags & { data?: string; verify?: boolean; out: string; alpha: number },
  io: CliIo,
): Promise<number> {
  if (!opts.data) throw new UsageError("advise: --data is required (a CSV file or builtin:NAME)");
  const data = loadDataset(opts.data, { target: opts.target || undefined, task: opts.task, drop: opts.drop, features: opts.features });
  const diagnostics = diagnose(data);
  const recommendations = recommend(diagnostics);
  let verify: CompareResult | undefined;
  let paths: { json: string; html: string } | undefined;
  const parts = ['Diagnostics', formatDiagnostics(diagnostics), '', 'Recommended losses (best first)', formatRecommendations(recommendations)];
  // The diagnostics come first, before a --verify run trains anything.
  if (!opts.json) io.stdout(`${parts.join('\n')}\n`);
  if (opts.verify) {
    ensureOutputDir(resolve(opts.out));
    verify = await runCompare(
      {
        ...trainingSettings({ ...opts, data: opts.data }),
        target: data.target,
        losses: recommendations.slice(0, 3).map((r) => (typeof r.loss === 'string' ? r.loss : { ...r.loss, label: r.label })),
        alpha: opts.alpha,
      },
      compareProgress(progressFor(opts, io, 'verify')),
    );
    paths = writeOutputs(resolve(opts.out), verify, renderCompareReport(verify));
  }
  if (opts.json) {
    io.stdout(`${JSON.stringify({ command: 'advise', diagnostics, recommendations, ...(verify ? { verify } : {}) })}\n`);
    return 0;
  }
  const rest = verify
    ? ['', 'Quick check of the top three', formatCompare(verify), '', `Report: ${paths!.html}`]
    : ['', 'Check them on your data: lossforge advise ... --verify, or lossforge compare --losses <names>'];
  io.stdout(`${rest.join('\n')}\n`);
  return 0;
}

async function tuneCommand(
  opts: CommonOptions & TrainingFlags & { data: string; loss: string; space: string; trials: number; sampler: SamplerName; out: string; resume?: boolean; prune: boolean; storage?: string; study?: string; parallel?: number },
  io: CliIo,
): Promise<number> {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = progressFor(opts, io, 'tune');
  const out = resolve(opts.out);
  ensureOutputDir(out);
  let result;
  try {
    result = await runTune(
      {
        ...trainingSettings(opts),
        loss: opts.loss,
        space: opts.space,
        trials: opts.trials,
        sampler: opts.sampler,
        out,
        resume: Boolean(opts.resume),
        pruning: opts.prune,
        signal: controller.signal,
        parallel: opts.parallel,
        backend: studyBackend(opts, basename(out)),
      },
      {
        start: (total, done) => progress.start(total - done),
        tick: (r, best) => progress.tick(`trial ${r.trial} ${formatNumber(r.score)}${r.pruned ? ' (pruned)' : ''}, best ${best ? formatNumber(best.score) : 'n/a'}`),
        stop: () => progress.stop(),
      },
    );
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  const paths = writeOutputs(out, result, renderTuneReport(result));
  if (opts.json) io.stdout(`${JSON.stringify(result)}\n`);
  else io.stdout(`${formatTune(result)}\n\nReport: ${paths.html}\n${opts.storage ? 'Study' : 'Journal'}: ${result.journal}\n`);
  if (result.interrupted) {
    io.stderr(`lossforge: interrupted after ${result.trials.length} finished trials (all in the journal); run the same command with --resume to continue.\n`);
    return 130;
  }
  return 0;
}

/** What `lossforge explore` needs from @lossforge/explorer's server module (loaded only by this command). */
interface ExplorerServer {
  serveExplorer(options: { port: number; host?: string }): Promise<{ url: string; close(): Promise<void> }>;
}

/** Serves the built explorer until Ctrl-C (SIGINT) or SIGTERM; prints its URL. */
async function exploreCommand(opts: { port: number; host: string }, io: CliIo): Promise<number> {
  // A runtime specifier: the workbench builds without the explorer, which it only needs here.
  if (opts.port > 65535) throw new UsageError(`explore: --port must be at most 65535, got ${opts.port}`);
  const specifier = '@lossforge/explorer/server';
  let server: ExplorerServer;
  try {
    server = (await import(specifier)) as ExplorerServer;
  } catch {
    throw new WorkbenchError(`explore: the explorer is not installed (npm install ${specifier.replace('/server', '')})`, 1);
  }
  let running;
  try {
    running = await server.serveExplorer({ port: opts.port, host: opts.host });
  } catch (error) {
    throw new WorkbenchError(`explore: ${(error as Error).message}`, 1);
  }
  io.stdout(`lossforge explorer: ${running.url}\n(Ctrl-C to stop)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await running.close();
  io.stdout('lossforge explorer: stopped\n');
  return 0;
}

function buildProgram(io: CliIo, setExit: (code: number) => void): Command {
  const program = new Command('lossforge')
    .description('Which loss works best on your data? Compare, get advice, tune.')
    .version(packageVersion())
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Examples:
  $ lossforge compare                                   # built-in breast_cancer, 5 losses, 2×5-fold CV, report in ./lossforge-report
  $ lossforge advise --data my.csv --target label --verify
  $ lossforge tune --loss binaryFocalCrossentropy --space 'gamma=0:5,lr=1e-4:1e-1:log' --trials 30

Exit codes: 0 ok, 1 failure (bad data, training error), 2 usage error. Run 'lossforge <command> --help' for details.`,
    )
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .exitOverride();

  // program.command() copies the parent's settings (exitOverride, output) to the subcommand.
  storageOptions(comparisonOptions(trainingOptions(dataOptions(program.command('compare'), COMPARE_DEFAULTS.data)), {
    alpha: 'significance level for the marks',
    out: 'output folder for report.html and results.json',
  })
    .option('--resume', 'with --storage: continue the compare study, reusing the trainings it holds'), 'compare')
    .description('Train a small network with each candidate loss on the same repeated k-fold splits, rank them, test the differences, write an HTML report.')
    .option('--losses <list>', 'candidate losses: comma-separated names, or JSON configs (default: per task)')
    .addHelpText(
      'after',
      `
Default losses per task:
${TASKS.filter((t) => t !== 'auto').map((t) => `  ${`${t}:`.padEnd(13)}${defaultCandidates(t).map(candidateText).join(', ')}`).join('\n')}
Metrics: ${metricsFor('binary').join(', ')} (binary); ${metricsFor('regression').join(', ')} (regression).

Examples:
  $ lossforge compare
  $ lossforge compare --data builtin:penguins --target body_mass_g --losses mse,mae,huber
  $ lossforge compare --data my.csv --target label --losses '[{"name":"binaryFocalCrossentropy","gamma":3},"hinge"]'
  $ lossforge compare --data builtin:iris --folds 3 --repeats 1 --model mlp:64,32 --json > result.json`,
    )
    .action(async (opts) => setExit(await compareCommand(opts, io)));

  comparisonOptions(trainingOptions(dataOptions(program.command('advise')), { repeats: 1, folds: 3 }), {
    alpha: 'significance level for --verify',
    out: 'output folder for the --verify report',
  })
    .description('Diagnose the data (task, class balance, outliers, skew, heavy tails, conflicting duplicates) and recommend losses, each with a reason.')
    .option('--verify', 'run a quick compare of the top three recommendations')
    .addHelpText(
      'after',
      `
Examples:
  $ lossforge advise --data builtin:penguins --target body_mass_g
  $ lossforge advise --data my.csv --target churned --verify
  $ lossforge advise --data builtin:breast_cancer --json`,
    )
    .action(async (opts) => setExit(await adviseCommand(opts, io)));

  storageOptions(trainingOptions(dataOptions(program.command('tune'), COMPARE_DEFAULTS.data), { folds: TUNE_DEFAULTS.folds, repeats: TUNE_DEFAULTS.repeats }), 'tune')
    .description('Search a loss\'s options (and lr, epochs, batchSize) with TPE, random or grid sampling; median pruning; parallel trials; a resumable journal.')
    .requiredOption('--loss <loss>', 'the loss to tune: a name, or a JSON config whose options stay fixed')
    .requiredOption('--space <space>', 'name=lo:hi[:log][:int] or name=a|b|c, comma-separated; lr, epochs, batchSize tune training')
    .option('--trials <n>', 'number of trials', integer(1), TUNE_DEFAULTS.trials)
    .addOption(new Option('--sampler <name>', 'tpe (Bergstra et al. 2011), random, or grid').choices(['tpe', 'random', 'grid']).default(TUNE_DEFAULTS.sampler))
    .option('--no-prune', 'do not stop trials early (median pruning is on by default)')
    .option('--resume', 'continue the study whose journal is in --out')
    .option('--out <dir>', 'output folder: journal.jsonl, results.json, report.html', TUNE_DEFAULTS.out)
    .option('--parallel <n>', 'trials sampled without seeing each other\'s results (default: --workers; 4 with --storage); results depend on it, not on how many threads or workers run them', integer(1))
    .addHelpText(
      'after',
      `
Examples:
  $ lossforge tune --loss binaryFocalCrossentropy --space 'gamma=0:5,lr=1e-4:1e-1:log' --trials 30
  $ lossforge tune --loss '{"name":"binaryFocalCrossentropy","applyClassBalancing":true}' --space 'gamma=0:5,alpha=0.1:0.9' --sampler random
  $ lossforge tune --data builtin:penguins --target body_mass_g --loss huber --space 'delta=0.1:3:log,epochs=10:60:int' --sampler grid --trials 16
  $ lossforge tune ... --resume        # after Ctrl-C or a crash: runs only the trials the journal lacks

Exit codes: 0 done, 1 failure, 2 usage error, 130 interrupted (the journal keeps every finished trial).`,
    )
    .action(async (opts) => setExit(await tuneCommand(opts, io)));

  workerCommand(program.command('worker'), io, setExit);

  program
    .command('explore')
    .description('Open the loss explorer: curves and derivatives of every loss, a live fit, your own loss with gradCheck — in the browser, offline.')
    .option('--port <n>', 'TCP port (0 picks a free one)', integer(0), 4178)
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .action(async (opts) => setExit(await exploreCommand(opts, io)));
  return program;
}

/** Parses and runs `argv` (without node and script), returning the exit code. */
export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  let code = 0;
  const program = buildProgram(io, (c) => (code = c));
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code)) return 0;
      return 2;
    }
    if (error instanceof WorkbenchError) {
      io.stderr(`lossforge: ${error.message}\n`);
      return error.exitCode;
    }
    // One line, never a stack trace (LOSSFORGE_DEBUG=1 shows it, for bug reports).
    const e = error as Error;
    io.stderr(`lossforge: unexpected error: ${process.env.LOSSFORGE_DEBUG ? e?.stack : (e?.message ?? String(error)).split('\n')[0]}\n`);
    return 1;
  }
}

