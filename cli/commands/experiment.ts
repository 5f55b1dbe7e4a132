// `cellforge experiment`: every (task, cell, seed) of a grid, resumable; writes DIR/results.json and DIR/report.html.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compileCell } from '../../compiler/compile.js';
import { CellforgeError } from '../../ir/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic.js';
import { renderExperimentReport, summarize, type ExperimentRun, type RunDetails } from '../../runtime/train/experiment.js';
import { formatDuration } from '../../runtime/train/progress.js';
import { resolveOptions, type RunOptions, type RunResult } from '../../runtime/train/session.js';
import { formatMetric, metricLabels, type Task } from '../../runtime/train/task.js';
import { helpText, intFlag, parseCommand, stringFlag, type CommandSpec } from '../args.js';
import { dataKinds } from '../data/index.js';
import { stoppable } from '../interrupt.js';
import type { CliIO } from '../io.js';
import { dataFlagsOf, ensureDir, overridesOf, taskOf, trainOne, trainSpec } from './train.js';

/** The training flags of `cellforge train` that apply to every run (not where to write, what to compare or resume). */
const trainingFlags = Object.fromEntries(Object.entries(trainSpec.flags).filter(([name]) => !['out', 'resume', 'compare', 'cell', 'save-every'].includes(name)));

export const experimentSpec: CommandSpec = {
  name: 'experiment',
  summary:
    'Train every combination of tasks, cells and seeds (seed index k: the same initial seed and data order for every cell); ' +
    'writes DIR/results.json (every run; mean and standard deviation per task and cell) and DIR/report.html. ' +
    'Run it again with the same --out to continue: finished runs are read, not redone. ' +
    `Tasks are the sample tasks of 'cellforge train', or your own data: --tasks ${dataKinds.join('|')} with the data flags.`,
  usage: 'cellforge experiment --tasks A,B --cells a,b,./c.cell.ts [--seeds N] --out DIR [training flags of cellforge train]',
  positionals: [],
  flags: {
    tasks: { type: 'string', value: 'A,B', help: 'sample tasks, or one of classify, tagging, charlm, sequences with --data/--x/--y' },
    cells: { type: 'string', value: 'a,b,c', help: 'built-in cells and .cell.ts files' },
    seeds: { type: 'string', value: 'N', help: 'seeds per (task, cell): 0..N-1 added to --seed (default 3)' },
    out: { type: 'string', value: 'DIR', help: 'output directory (default out/experiment)' },
    ...trainingFlags,
  },
};

function list(v: string | undefined, name: string): string[] {
  const items = (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new CellforgeError(`cellforge experiment: --${name} is required`, undefined, `usage: ${experimentSpec.usage}`);
  if (new Set(items).size !== items.length) throw new CellforgeError(`cellforge experiment: --${name} names something twice`);
  return items;
}

/** The task list; with data flags and no --tasks, the kind follows from the files. */
function taskNames(p: ReturnType<typeof parseCommand>): string[] {
  const given = stringFlag(p, 'tasks');
  if (given !== undefined) return list(given, 'tasks');
  const f = dataFlagsOf(p, 'experiment');
  if (f.x !== undefined || f.y !== undefined) return ['sequences'];
  if (f.data?.endsWith('.txt')) return ['charlm'];
  if (f.data !== undefined) throw new CellforgeError('cellforge experiment: say what --data holds with --tasks classify or --tasks tagging');
  return list(undefined, 'tasks');
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, '_');

interface Planned {
  readonly task: Task;
  readonly cellSpec: string;
  readonly cell: string;
  readonly seed: number;
  readonly dir: string;
  readonly steps: number;
  /** The run's settings: a finished run found on disk must have been trained with these. */
  readonly options: RunOptions;
}

function readFinished(out: string, p: Planned): { run: ExperimentRun; details: RunDetails } | undefined {
  const file = join(out, p.dir, 'metrics.json');
  if (!existsSync(file)) return undefined;
  let m: RunResult & RunDetails & { testMetric: number };
  try {
    m = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw new CellforgeError(`${file}: not a metrics file of a finished run`, undefined, 'delete it to train that run again');
  }
  // A run of another configuration in the same folder would mix into the table unseen: refuse it.
  for (const [k, v] of Object.entries(p.options) as [keyof RunOptions, unknown][]) {
    // (backend changes speed, not results; a setting the run's version did not record is not compared)
    if (k === 'backend' || m.options?.[k] === undefined || JSON.stringify(m.options[k]) === JSON.stringify(v)) continue;
    throw new CellforgeError(`${file}: this run was trained with ${k} = ${JSON.stringify(m.options?.[k])}, but the experiment asks for ${JSON.stringify(v)}`, undefined, 'use another --out, or the flags of the finished runs');
  }
  return { run: record(p, m), details: { history: m.history, ...(m.gradientFlow ? { gradientFlow: m.gradientFlow } : {}), ...(m.saturation ? { saturation: m.saturation } : {}) } };
}

function record(p: Planned, r: Pick<RunResult, 'parameters' | 'metric' | 'testMetric' | 'testLoss' | 'seconds' | 'stepsPerSecond' | 'steps'>): ExperimentRun {
  return { task: p.task.name, cell: p.cell, cellSpec: p.cellSpec, seed: p.seed, parameters: r.parameters, metric: r.metric, testMetric: r.testMetric, testLoss: r.testLoss, seconds: r.seconds, stepsPerSecond: r.stepsPerSecond, steps: r.steps, dir: p.dir };
}

export async function experimentCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(experimentSpec, argv);
  if (p.help) {
    io.out(helpText(experimentSpec));
    return 0;
  }
  // Everything is read and checked before the first file is written.
  const tasks = taskNames(p).map((name) => taskOf(name, p, io, 'experiment'));
  const cellSpecs = list(stringFlag(p, 'cells'), 'cells');
  const cellNames = cellSpecs.map((c) => compileCell(c).name);
  const seeds = intFlag(p, experimentSpec, 'seeds') ?? 3;
  const overrides = overridesOf(p);
  const baseSeed = overrides.seed ?? 0;
  const out = stringFlag(p, 'out') ?? join('out', 'experiment');
  const plan: Planned[] = [];
  for (const task of tasks) {
    for (let k = 0; k < seeds; k++) {
      cellSpecs.forEach((cellSpec, c) => {
        const seed = baseSeed + k;
        const options = resolveOptions(task, { ...overrides, cell: cellSpec, seed });
        const steps = options.epochs * Math.ceil(Math.min(task.data().train.length, options.trainLimit || Infinity) / options.batchSize);
        plan.push({ task, cellSpec, cell: cellNames[c]!, seed, dir: join('runs', safe(task.name), safe(cellSpec), `seed-${seed}`), steps, options });
      });
    }
  }
  // Finished runs on disk are read (and checked against these settings) before anything is trained or written.
  const found = new Map(plan.map((q) => [q, readFinished(out, q)] as const));
  ensureDir(out);
  const command = `cellforge experiment ${argv.join(' ')}`;
  const results = new Map<ExperimentRun, RunDetails>();
  const write = () => {
    const runs = [...results.keys()];
    const json = { command, tasks: tasks.map((t) => ({ name: t.name, metric: t.metric })), cells: cellNames, seeds, runs, summary: summarize(runs) };
    writeFileAtomic(join(out, 'results.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileAtomic(join(out, 'report.html'), renderExperimentReport({ command, tasks, cells: cellNames, seeds, runs: results }));
  };

  return stoppable('experiment', io, async (stopping) => {
    const todo = plan.filter((q) => !found.get(q));
    const totalSteps = todo.reduce((n, q) => n + q.steps, 0);
    let doneSteps = 0;
    let wallSeconds = 0;
    for (const [i, q] of plan.entries()) {
      const finished = found.get(q);
      if (finished) {
        results.set(finished.run, finished.details);
        continue;
      }
      // ETA: the steps still to train at the wall-clock rate (diagnostics and evaluation included) of this invocation.
      const eta = doneSteps > 0 ? formatDuration(((totalSteps - doneSteps) * wallSeconds) / doneSteps) : 'after the first run';
      io.err(`cellforge experiment: run ${i + 1}/${plan.length}: ${q.task.name} × ${q.cell} × seed ${q.seed} (${plan.length - todo.length} read from ${out}; ETA ${eta})\n`);
      const dir = join(out, q.dir);
      const resume = existsSync(join(dir, 'checkpoint.safetensors'));
      const started = performance.now();
      const r = await trainOne(q.task, { ...overrides, cell: q.cellSpec, seed: q.seed }, dir, resume, undefined, io, stopping, 'the experiment continues from it when run again with the same --out');
      if (!r) {
        write();
        return 130;
      }
      doneSteps += q.steps;
      wallSeconds += (performance.now() - started) / 1000;
      const details = readFinished(out, q)!;
      results.set(details.run, details.details);
      write();
      io.err(`cellforge experiment: ${i + 1}/${plan.length} done: ${q.task.name} × ${q.cell} × seed ${q.seed}: test ${metricLabels[r.metric]} ${formatMetric(r.metric, r.testMetric)}\n`);
    }
    write();
    for (const s of summarize([...results.keys()])) {
      io.err(`  ${s.task.padEnd(12)} ${s.cell.padEnd(16)} ${formatMetric(s.metric, s.mean)} ± ${s.metric === 'accuracy' ? `${(100 * s.std).toFixed(1)}%` : s.std.toFixed(4)} (n = ${s.runs})${s.best ? '  best' : ''}\n`);
    }
    io.err(`cellforge experiment: results: ${resolve(out, 'results.json')}\ncellforge experiment: report: ${resolve(out, 'report.html')}\n`);
    return 0;
  });
}
