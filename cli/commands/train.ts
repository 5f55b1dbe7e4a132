// `cellforge train <task>`: train a sample task with a progress bar; writes metrics.json, a checkpoint and report.html.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CellforgeError, fileError } from '../../ir/errors.js';
import { writeFileAtomic } from '../../runtime/io/atomic.js';
import { backendNames, type BackendName } from '../../runtime/backends.js';
import { initNames, type InitName } from '../../runtime/train/model.js';
import { optimizerNames, type OptimizerName } from '../../runtime/train/optimizer.js';
import { Progress } from '../../runtime/train/progress.js';
import { renderReport } from '../../runtime/train/report.js';
import { TrainingSession, type RunOverrides, type RunResult } from '../../runtime/train/session.js';
import { formatMetric, metricKeys, metricLabels, type Task } from '../../runtime/train/task.js';
import { scheduleNames, type ScheduleName } from '../../runtime/train/trainer.js';
import { tasks } from '../../samples/tasks/index.js';
import { dataKinds, hasDataFlags, userDataTask, type DataFlags, type DataKind } from '../data/index.js';
import { DEFAULT_TEST_FRACTION } from '../data/split.js';
import { helpText, intFlag, parseCommand, stringFlag, type CommandSpec, type Parsed } from '../args.js';
import { stoppable } from '../interrupt.js';
import { processIO, type CliIO } from '../io.js';

/** Flags that name the user's own data files (shared with `experiment`). */
export const dataFlags: CommandSpec['flags'] = {
  data: { type: 'string', value: 'FILE', help: 'your data: .jsonl (classify, tagging) or UTF-8 text (charlm)' },
  test: { type: 'string', value: 'FILE', help: `your test set, same format as --data (default: ${Math.round(100 * DEFAULT_TEST_FRACTION)}% of --data, held out by --split-seed)` },
  'text-field': { type: 'string', value: 'NAME', help: 'classify: the field holding the text (default text)' },
  'label-field': { type: 'string', value: 'NAME', help: 'classify: the field holding the label (default label)' },
  tokens: { type: 'string', value: 'chars|words', help: 'classify: read the text as characters (default) or words' },
  x: { type: 'string', value: 'X.npy', help: 'sequences: inputs [N, T, X]' },
  y: { type: 'string', value: 'Y.npy', help: 'sequences: targets [N] ints (classes), [N] floats (regression) or [N, T] (per step)' },
  lengths: { type: 'string', value: 'L.npy', help: 'sequences: valid length of each example [N]' },
  'split-seed': { type: 'string', value: 'N', help: 'seed of the held-out split of your data (default 0)' },
};

const dataSummary = `
Your own data (prints what it read, holds out a seeded test split):
  classify  --data F.jsonl  one JSON object per line: a text (--text-field, characters or --tokens words) -> a label
  tagging   --data F.jsonl  lines {"tokens": [...], "tags": [...]}: a tag per token
  charlm    --data F.txt    any UTF-8 text: next-character model, perplexity
  sequences --x X.npy --y Y.npy [--lengths L.npy]  x [N, T, X]; y [N] ints, [N] floats or [N, T]`;

export const trainSpec: CommandSpec = {
  name: 'train',
  summary: `Train a sample task or your own data; writes DIR/metrics.json, DIR/checkpoint.safetensors and DIR/report.html. Tasks: ${Object.values(tasks)
    .map((t) => `\n  ${t.name.padEnd(10)} ${t.summary}`)
    .join('')}\n${dataSummary}`,
  usage: 'cellforge train <task | classify | tagging | charlm | sequences> [--data FILE | --x X.npy --y Y.npy] [--cell NAME|PATH] [--backend NAME] [--epochs N] [--lr X] [--seed N] [--out DIR] [--resume] [--compare a,b,c]',
  positionals: ['task'],
  flags: {
    cell: { type: 'string', value: 'NAME|PATH', help: "a built-in cell or a .cell.ts file (default: the task's)" },
    compare: { type: 'string', value: 'a,b,c', help: 'train several cells on the same data and seed; one report side by side' },
    backend: { type: 'string', value: 'NAME', help: `${backendNames.join('|')} (default wasm)` },
    epochs: { type: 'string', value: 'N', help: 'passes over the training set (default: the task\'s)' },
    lr: { type: 'string', value: 'X', help: 'learning rate' },
    seed: { type: 'string', value: 'N', help: 'seed of initialisation, shuffling and dropout (default 0)' },
    out: { type: 'string', value: 'DIR', help: 'output directory (default out/train-<task>)' },
    resume: { type: 'boolean', help: 'continue from DIR/checkpoint.safetensors exactly where it stopped' },
    hidden: { type: 'string', value: 'N', help: 'hidden size' },
    layers: { type: 'string', value: 'N', help: 'stacked layers' },
    bidirectional: { type: 'boolean', help: 'both directions' },
    embed: { type: 'string', value: 'N', help: 'embedding width (token tasks)' },
    batch: { type: 'string', value: 'N', help: 'batch size' },
    optimizer: { type: 'string', value: 'NAME', help: optimizerNames.join('|') },
    momentum: { type: 'string', value: 'X', help: 'SGD momentum' },
    'weight-decay': { type: 'string', value: 'X', help: 'L2 (sgd, adam) or decoupled (adamw) weight decay' },
    'clip-norm': { type: 'string', value: 'X', help: 'clip the global gradient norm (0: off)' },
    'clip-value': { type: 'string', value: 'X', help: 'clamp every gradient element (0: off)' },
    schedule: { type: 'string', value: 'NAME', help: `${scheduleNames.join('|')}: learning rate over the run (default: the task's)` },
    init: { type: 'string', value: 'NAME', help: `${initNames.join('|')}: RNN weight initialisation` },
    dropout: { type: 'string', value: 'P', help: 'dropout between stacked layers' },
    'variational-dropout': { type: 'boolean', help: 'one dropout mask for all timesteps' },
    'save-every': { type: 'string', value: 'N', help: 'also checkpoint every N steps (default: every epoch)' },
    'train-limit': { type: 'string', value: 'N', help: 'train on the first N training examples only (quick runs; test set unchanged)' },
    ...dataFlags,
  },
};

function numberFlag(p: Parsed, name: string, min: number, max = Infinity): number | undefined {
  const v = stringFlag(p, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^[-+0-9.eE]+$/.test(v) || !Number.isFinite(n) || n < min || n > max) {
    throw new CellforgeError(`cellforge train: --${name} must be a number${max < Infinity ? ` in [${min}, ${max}]` : ` >= ${min}`}, got '${v}'`);
  }
  return n;
}

function choice<T extends string>(p: Parsed, name: string, allowed: readonly T[]): T | undefined {
  const v = stringFlag(p, name);
  if (v !== undefined && !allowed.includes(v as T)) throw new CellforgeError(`cellforge train: unknown --${name} '${v}'`, undefined, `choose one of: ${allowed.join(', ')}`);
  return v as T | undefined;
}

export function overridesOf(p: Parsed): RunOverrides {
  const o: RunOverrides = {};
  const set = <K extends keyof RunOverrides>(k: K, v: RunOverrides[K] | undefined) => {
    if (v !== undefined) o[k] = v;
  };
  set('backend', choice<BackendName>(p, 'backend', backendNames));
  set('epochs', intFlag(p, trainSpec, 'epochs'));
  set('lr', numberFlag(p, 'lr', Number.MIN_VALUE));
  const seed = stringFlag(p, 'seed');
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new CellforgeError(`cellforge train: --seed must be a non-negative integer, got '${seed}'`);
  set('seed', seed === undefined ? undefined : Number(seed));
  set('hiddenSize', intFlag(p, trainSpec, 'hidden'));
  set('numLayers', intFlag(p, trainSpec, 'layers'));
  set('embedDim', intFlag(p, trainSpec, 'embed'));
  set('batchSize', intFlag(p, trainSpec, 'batch'));
  set('optimizer', choice<OptimizerName>(p, 'optimizer', optimizerNames));
  set('momentum', numberFlag(p, 'momentum', 0, 1));
  set('weightDecay', numberFlag(p, 'weight-decay', 0));
  set('clipNorm', numberFlag(p, 'clip-norm', 0));
  set('clipValue', numberFlag(p, 'clip-value', 0));
  set('schedule', choice<ScheduleName>(p, 'schedule', scheduleNames));
  set('trainLimit', intFlag(p, trainSpec, 'train-limit'));
  set('init', choice<InitName>(p, 'init', initNames));
  set('dropout', numberFlag(p, 'dropout', 0, 0.99));
  if (p.flags.bidirectional === true) o.bidirectional = true;
  if (p.flags['variational-dropout'] === true) o.variationalDropout = true;
  return o;
}

/** metrics.json of one run: the result without the per-step arrays (those live in the checkpoint). */
export function metricsJson(r: RunResult): Record<string, unknown> {
  const { stepLoss, stepGradNorm, atInit, trained, testMetric, ...rest } = r;
  void stepLoss;
  void stepGradNorm;
  return { ...rest, [`test${metricKeys[r.metric]}`]: testMetric, testMetric, gradientFlow: { atInit: atInit.gradientFlow ?? null, trained: trained.gradientFlow ?? null }, saturation: { atInit: atInit.saturation ?? null, trained: trained.saturation ?? null } };
}

export function ensureDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw fileError(dir, `cannot create output directory (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

export async function trainOne(task: Task, overrides: RunOverrides, dir: string, resume: boolean, saveEvery: number | undefined, io: CliIO, stop: () => boolean, howToContinue = 'continue with the same command plus --resume'): Promise<RunResult | undefined> {
  ensureDir(dir);
  const ckpt = join(dir, 'checkpoint.safetensors');
  const notes: string[] = [];
  let session: TrainingSession;
  if (resume) {
    if (!existsSync(ckpt)) throw fileError(ckpt, 'no checkpoint to resume from', 'run without --resume first');
    session = TrainingSession.resume(task, ckpt, overrides, notes);
  } else {
    session = await TrainingSession.start(task, overrides);
  }
  for (const n of notes) io.err(`cellforge train: note: ${n}\n`);
  const { options: o, trainer } = session;
  const params = trainer.params.reduce((n, p) => n + p.data.length, 0);
  io.err(
    `cellforge train: ${task.name} with ${session.cell.name} on ${session.model.rnn.backend.name}: ${o.numLayers} layer${o.numLayers > 1 ? 's' : ''}${o.bidirectional ? ' x2 directions' : ''}, hidden ${o.hiddenSize}, ` +
      `${params.toLocaleString('en-US')} parameters; ${o.epochs} epochs x ${trainer.stepsPerEpoch} steps of ${o.batchSize}, ${o.optimizer} lr ${o.lr}, seed ${o.seed}` +
      `${trainer.state.step > 0 ? `; resuming at step ${trainer.state.step}` : ''}\n`,
  );
  const tty = io === processIO && process.stderr.isTTY === true;
  const progress = new Progress({ write: io.err, tty, columns: process.stderr.columns ?? 100, label: session.cell.name, total: trainer.totalSteps, metricName: metricLabels[task.metric] });
  const lastRecord = trainer.state.history[trainer.state.history.length - 1];
  let metric = lastRecord ? formatMetric(task.metric, lastRecord.validMetric) : undefined;
  const status = await session.run({
    onStep: (s) => progress.update({ ...s, ...(metric ? { metric } : {}) }),
    onEpoch: (r) => {
      metric = formatMetric(task.metric, r.validMetric);
      const train = r.trainLoss === null ? '' : `train loss ${r.trainLoss.toFixed(4)}, `;
      progress.line(`  epoch ${r.epoch}/${o.epochs}: ${train}validation loss ${r.validLoss.toFixed(4)}, ${metricLabels[task.metric]} ${metric}`);
    },
    shouldStop: stop,
    save: () => session.save(ckpt),
    ...(saveEvery ? { saveEvery } : {}),
  });
  progress.done();
  if (status === 'stopped') {
    io.err(`cellforge train: interrupted at step ${trainer.state.step}; checkpoint saved to ${ckpt}\n  ${howToContinue}\n`);
    return undefined;
  }
  const result = await session.finish();
  writeFileAtomic(join(dir, 'metrics.json'), `${JSON.stringify(metricsJson(result), null, 2)}\n`);
  io.err(`cellforge train: ${session.cell.name}: test loss ${result.testLoss.toFixed(4)}, test ${metricLabels[task.metric]} ${formatMetric(task.metric, result.testMetric)} (${result.steps} steps in ${result.seconds.toFixed(1)} s)\n`);
  if (result.showcase) io.err(`${result.showcase}\n`);
  return result;
}

/** A sample task by name, or the user's data read from the data flags (printing what was read). */
export function taskOf(name: string, p: Parsed, io: CliIO, command: string): Task {
  const flags = dataFlagsOf(p, command);
  const kind = (dataKinds as readonly string[]).includes(name) ? (name as DataKind) : undefined;
  if (kind && (hasDataFlags(flags) || !tasks[name])) {
    const { task, lines } = userDataTask(kind, flags, command);
    for (const l of lines) io.err(`cellforge ${command}: ${l}\n`);
    return task;
  }
  const task = tasks[name];
  if (!task) throw new CellforgeError(`cellforge ${command}: unknown task '${name}'`, undefined, `tasks: ${Object.keys(tasks).join(', ')}; your data: ${dataKinds.join(', ')}`);
  if (hasDataFlags(flags) || flags.test !== undefined) throw new CellforgeError(`cellforge ${command}: task '${name}' has its own data; --data, --test, --x and --y go with ${dataKinds.join(', ')}`);
  if (task.dataInfo) io.err(`cellforge ${command}: ${task.name} data: ${Object.entries(task.dataInfo()).map(([k, v]) => `${k} ${v}`).join(', ')}\n`);
  return task;
}

export function dataFlagsOf(p: Parsed, command: string): DataFlags {
  const f: { -readonly [K in keyof DataFlags]: DataFlags[K] } = {};
  const names = { data: 'data', test: 'test', textField: 'text-field', labelField: 'label-field', tokens: 'tokens', x: 'x', y: 'y', lengths: 'lengths' } as const;
  for (const [k, flag] of Object.entries(names) as [keyof typeof names, string][]) {
    const v = stringFlag(p, flag);
    if (v !== undefined) f[k] = v;
  }
  const seed = stringFlag(p, 'split-seed');
  if (seed !== undefined && !/^\d+$/.test(seed)) throw new CellforgeError(`cellforge ${command}: --split-seed must be a non-negative integer, got '${seed}'`);
  if (seed !== undefined) f.splitSeed = Number(seed);
  return f;
}

export async function trainCommand(argv: readonly string[], io: CliIO): Promise<number> {
  const p = parseCommand(trainSpec, argv);
  if (p.help) {
    io.out(helpText(trainSpec));
    return 0;
  }
  const task = taskOf(p.positionals[0]!, p, io, 'train');
  const overrides = overridesOf(p);
  const compare = stringFlag(p, 'compare')?.split(',').map((c) => c.trim()).filter(Boolean);
  const cell = stringFlag(p, 'cell');
  if (compare && cell) throw new CellforgeError('cellforge train: use either --cell or --compare, not both');
  if (compare && new Set(compare).size !== compare.length) throw new CellforgeError('cellforge train: --compare names a cell twice');
  const out = stringFlag(p, 'out') ?? join('out', `train-${task.name}`);
  const saveEvery = intFlag(p, trainSpec, 'save-every');
  const resume = p.flags.resume === true;

  return stoppable('train', io, async (stopping) => {
    const runs: RunResult[] = [];
    for (const c of compare ?? [cell]) {
      const dir = compare ? join(out, c!.replace(/[^A-Za-z0-9_.-]+/g, '_')) : out;
      const r = await trainOne(task, { ...overrides, ...(c ? { cell: c } : {}) }, dir, resume, saveEvery, io, stopping);
      if (!r) return 130;
      runs.push(r);
      if (compare) writeFileAtomic(join(dir, 'report.html'), renderReport({ task, runs: [r], command: `cellforge train ${argv.join(' ')}` }));
    }
    ensureDir(out);
    const command = `cellforge train ${argv.join(' ')}`;
    writeFileAtomic(join(out, 'report.html'), renderReport({ task, runs, command }));
    if (compare) {
      const summary = { task: task.name, compare, testLoss: Object.fromEntries(runs.map((r) => [r.cell, r.testLoss])), [`test${metricKeys[task.metric]}`]: Object.fromEntries(runs.map((r) => [r.cell, r.testMetric])), runs: runs.map(metricsJson) };
      writeFileAtomic(join(out, 'metrics.json'), `${JSON.stringify(summary, null, 2)}\n`);
    }
    io.err(`cellforge train: report: ${resolve(out, 'report.html')}\n`);
    return 0;
  });
}
