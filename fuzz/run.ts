// `npm run fuzz`: a differential fuzzer. Random cells (the random-cell generator of the autodiff property test,
// plus "exposed" outputs, below) on random shapes and sequence features, forward and backward, on every backend
// that exists here, against the float64 `reference`; tolerance 1e-4 of the max magnitude of each result.
//
//   npm run fuzz -- --runs 10000 [--seed N] [--path P] [--forms plain|all] [--backends js,wasm,webgpu] [--tol 1e-4]
//                   [--no-exact] [--record FILE]
//
// Prints progress (runs, runs/s, failures); on a failure fast-check shrinks it, and the minimal cell source and
// configuration are printed, with the seed and path that replay it; exit 1. More than 2 500 runs go in chunks of
// 2 500, each in a fresh process, chunk k with seed N + k (see CHUNK).
//
// Beyond the float32 comparison, js's generated kernels also run with float64 buffers and must match the reference
// within 1e-9 (`--no-exact` turns this off): a wrong formula cannot hide under float32 noise, and a float32
// disagreement where the float64 twin agrees is rounding on an ill-conditioned problem, counted apart (see
// checkCase).
//
// Forms: `plain` is the generator as the autodiff property test uses it, where every new state is tanh(...) or a
// sigmoid-gated blend. `all` (the default) may also add a bounded term to a state's new value: a parameter
// (`h_next + param('ob_h')`) or a projection of the input (`h_next + linear('ob_h', x)`), so that a state's
// incoming gradient reaches parameter and input gradients directly, with no op in between.
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { builtinCell, compileCell, RNN, type BackendName, type CompiledCell, type MergeMode } from '../index.js';
import { jsKernels } from '../compiler/codegen/js/kernels.js';
import type { DirectionGrads, DirectionResult, DirectionRun, SequenceBackend } from '../runtime/backend.js';
import { gemmNT } from '../runtime/js/gemm.js';
import { Random } from '../runtime/random.js';
import { above, differential, relativeError, results, type DiffConfig, type Results } from '../test/helpers/differential.js';
import { randomCellDescription, renderCell, STATE_NAMES, type CellDescription } from '../test/unit/autodiff/random-cells.js';

export const TOLERANCE = 1e-4;

/** A term added to one state's new value. */
export type Tail = 'none' | 'param' | 'linear';
export type Forms = 'plain' | 'all';

/** One fuzz case: a cell, the extra output terms, and the run configuration. */
export interface FuzzCase {
  readonly cell: CellDescription;
  /** One per state (h, c, m); ignored past the cell's state count. */
  readonly tails: readonly Tail[];
  readonly config: DiffConfig;
}

/** The source text of a case's cell. */
export function caseSource(c: FuzzCase): string {
  let source = renderCell(c.cell);
  const states = STATE_NAMES.slice(0, c.cell.states.length);
  const extra = new Set<string>();
  states.forEach((s, i) => {
    const tail = c.tails[i] ?? 'none';
    if (tail === 'none') return;
    const term = tail === 'param' ? `param('ob_${s}')` : `linear('ob_${s}', x)`;
    extra.add(tail);
    source = source.replace(new RegExp(`(return \\{.*\\b${s}: ${s}_next)\\b`), `$1 + ${term}`);
  });
  if (extra.size > 0) {
    source = source.replace(/^import \{ ([^}]*) \} from 'cellforge\/dsl';/, (_m, names: string) => {
      const all = new Set(names.split(', '));
      extra.forEach((f) => all.add(f));
      const sorted = [...all].filter((n) => n !== 'cell').sort();
      return `import { ${['cell', ...sorted].join(', ')} } from 'cellforge/dsl';`;
    });
  }
  return source;
}

const MERGES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'mean'];

/** Random shapes and sequence features (every one shrinks towards the simplest run). */
export const configArb: fc.Arbitrary<DiffConfig> = fc
  .record({
    steps: fc.integer({ min: 1, max: 6 }),
    batch: fc.integer({ min: 1, max: 4 }),
    inputSize: fc.integer({ min: 1, max: 5 }),
    hiddenSize: fc.integer({ min: 1, max: 6 }),
    numLayers: fc.integer({ min: 1, max: 2 }),
    bidirectional: fc.boolean(),
    merge: fc.constantFrom(...MERGES),
    /** Per example, clipped to 1..T; empty: no lengths. */
    lengths: fc.option(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 4, maxLength: 4 }), { nil: undefined }),
    initialStates: fc.boolean(),
    truncate: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
    batchFirst: fc.boolean(),
    seed: fc.integer({ min: 1, max: 1_000_000 }),
  })
  .map((r) => {
    const cfg: DiffConfig = {
      steps: r.steps,
      batch: r.batch,
      inputSize: r.inputSize,
      hiddenSize: r.hiddenSize,
      numLayers: r.numLayers,
      bidirectional: r.bidirectional,
      ...(r.bidirectional && r.merge !== 'concat' ? { merge: r.merge } : {}),
      ...(r.lengths ? { lengths: r.lengths.slice(0, r.batch).map((l) => Math.min(l, r.steps)) } : {}),
      ...(r.initialStates ? { initialStates: true } : {}),
      ...(r.truncate !== undefined && r.truncate < r.steps ? { truncate: r.truncate } : {}),
      ...(r.batchFirst ? { batchFirst: true } : {}),
      seed: r.seed,
    };
    return cfg;
  });

const tailArb = (forms: Forms): fc.Arbitrary<Tail> =>
  forms === 'plain' ? fc.constant<Tail>('none') : fc.oneof({ arbitrary: fc.constant<Tail>('none'), weight: 2 }, fc.constantFrom<Tail>('param', 'linear'));

export function caseArb(forms: Forms = 'all'): fc.Arbitrary<FuzzCase> {
  return fc.record({
    cell: randomCellDescription,
    tails: fc.array(tailArb(forms), { minLength: 3, maxLength: 3 }),
    config: configArb,
  });
}

/**
 * Backends other than reference that run here. `wasm` and `webgpu` count only where they exist: a backend whose
 * construction or first run throws (not built, no adapter) is skipped with the reason. By default webgpu counts
 * only on a hardware adapter (where `auto` picks it): on a software adapter (llvmpipe, SwiftShader) every new
 * random cell costs seconds of shader compilation, so it runs only when named explicitly (`explicit`).
 */
export async function availableBackends(
  wanted: readonly BackendName[] = ['js', 'wasm', 'webgpu'],
  explicit = false,
): Promise<{ available: BackendName[]; skipped: Record<string, string> }> {
  const available: BackendName[] = [];
  const skipped: Record<string, string> = {};
  const probe = async (backend: BackendName): Promise<string> => {
    const rnn = new RNN(builtinCell('rnn_tanh'), { inputSize: 1, hiddenSize: 1, backend });
    try {
      await rnn.forward({ data: new Float64Array(1), shape: [1, 1, 1] });
      return rnn.backend.name;
    } finally {
      rnn.dispose();
    }
  };
  for (const backend of wanted) {
    try {
      await probe(backend);
      if (backend === 'webgpu' && !explicit && (await probe('auto')) !== 'webgpu') {
        skipped[backend] = 'only a software adapter here (seconds per new cell); name it with --backends webgpu to fuzz it anyway';
        continue;
      }
      available.push(backend);
    } catch (e) {
      skipped[backend] = e instanceof Error ? e.message : String(e);
    }
  }
  return { available, skipped };
}

/** Tolerance of the exact check: js's generated kernels run in float64 (`js64Backend`) against the reference. */
export const EXACT_TOLERANCE = 1e-9;

/**
 * The property: every backend agrees with the reference on the case, within `tol` of the max magnitude. Throws an
 * Error that names the backend, the results above tolerance, the configuration and the cell source.
 *
 * With `exact` (the default), js's generated kernels also run with float64 buffers (`js64Backend`) and must agree
 * with the reference within 1e-9: the same code without float32 rounding, so a wrong formula cannot hide under
 * float32 noise (over 2000 random cases the worst difference was 5e-16).
 *
 * A float32 disagreement is forgiven only when it is rounding on an ill-conditioned problem (layerNorm of two
 * nearly equal values at H = 2 amplifies rounding by ~300×, for example), never a wrong formula:
 * - js: the float64 twin agrees with the reference within 1e-9, so the code is right and only storage differs;
 * - other backends (no float64 twin): the float64 reference itself moves as much as the backend's error (within
 *   8×, on every result above tolerance) under relative 2^-24 perturbations of its data (`referenceSpread`).
 * `onIllConditioned` hears of each forgiven case.
 */
export async function checkCase(
  c: FuzzCase,
  backends: readonly BackendName[],
  tol = TOLERANCE,
  onIllConditioned?: (backend: BackendName, detail: string) => void,
  exact = true,
): Promise<void> {
  const source = caseSource(c);
  const cell = compileCell(source);
  const problems: string[] = [];
  let twin: Record<string, number> | undefined;
  /** Per result, the relative error of js's float64 twin against the reference. */
  const twinErrors = async () => {
    if (!twin) {
      const [ref, js64] = [await perturbedResults(cell, c.config, 'reference'), await perturbedResults(cell, c.config, 'js64')];
      twin = Object.fromEntries(Object.keys(ref).map((k) => [k, relativeError(js64[k]!, ref[k]!)]));
    }
    return twin;
  };
  for (const backend of backends) {
    try {
      const bad = above(await differential(cell, backend, c.config), tol);
      if (backend === 'js' && exact) {
        const bad64 = above(await twinErrors(), EXACT_TOLERANCE);
        if (Object.keys(bad64).length > 0) {
          const detail = Object.entries(bad64)
            .map(([k, v]) => `  ${k}: ${v.toExponential(2)}`)
            .join('\n');
          problems.push(`js's generated kernels, run in float64, disagree with reference above ${EXACT_TOLERANCE}:\n${detail}`);
        }
      }
      if (Object.keys(bad).length === 0) continue;
      let forgiven: boolean;
      let why: Record<string, string>;
      if (backend === 'js') {
        const err64 = await twinErrors();
        forgiven = Object.keys(bad).every((k) => err64[k]! <= EXACT_TOLERANCE);
        why = Object.fromEntries(Object.keys(bad).map((k) => [k, `the same kernels in float64: ${err64[k]!.toExponential(2)}`]));
      } else {
        const spread = await referenceSpread(cell, c.config);
        forgiven = Object.entries(bad).every(([k, e]) => e <= 8 * (spread[k] ?? 0));
        why = Object.fromEntries(Object.keys(bad).map((k) => [k, `reference spread under float32 rounding ${(spread[k] ?? 0).toExponential(2)}`]));
      }
      const detail = Object.entries(bad)
        .map(([k, v]) => `  ${k}: ${v.toExponential(2)} (${why[k]})`)
        .join('\n');
      if (forgiven) onIllConditioned?.(backend, detail);
      else problems.push(`${backend} disagrees with reference above ${tol} (relative to max magnitude):\n${detail}`);
    } catch (e) {
      problems.push(`${backend} threw: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (problems.length > 0) throw new Error(`${problems.join('\n')}\nconfig: ${JSON.stringify(c.config)}\ncell:\n${source}`);
}

/**
 * A backend's results on the data of `differential` (same generator, same order), every value multiplied by
 * (1 + eps·u), u uniform in [-1, 1] from stream `stream`: weights, input, initial states and output gradients.
 */
async function perturbedResults(cell: CompiledCell, cfg: DiffConfig, backend: 'reference' | 'js64', eps = 0, stream = 0): Promise<Results> {
  const noise = new Random(cfg.seed ?? 11, 1000 + stream);
  const perturb = eps === 0 ? undefined : (v: number) => v * (1 + eps * noise.uniform(-1, 1));
  return results(cell, backend === 'js64' ? js64Backend : 'reference', cfg, perturb);
}

/** Per result, how far the reference moves under float32-sized perturbations of its data (max of 3 tries). */
export async function referenceSpread(cell: CompiledCell, cfg: DiffConfig): Promise<Record<string, number>> {
  const base = await perturbedResults(cell, cfg, 'reference');
  const spread: Record<string, number> = {};
  for (const stream of [1, 2, 3]) {
    const moved = await perturbedResults(cell, cfg, 'reference', 2 ** -24, stream);
    for (const k of Object.keys(base)) spread[k] = Math.max(spread[k] ?? 0, relativeError(moved[k]!, base[k]!));
  }
  return spread;
}

/**
 * The js backend's generated kernels, run with float64 buffers instead of Float32Array: the same code, without
 * float32 rounding. Agreement with the reference then shows the code is right (mirrors runtime/js/backend.ts).
 */
export function js64Backend(cell: CompiledCell): SequenceBackend {
  const F64 = (source: string) => source.replace(/Float32Array/g, 'Float64Array');
  const prelude = `
const sigmoid = (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
const softplus = (x) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
`;
  type Factory = (P: Float64Array[], gemm: unknown, transpose: unknown) => (...args: unknown[]) => unknown;
  const compiled = new Map<string, { forward: Factory; backward: Factory }>();
  const kernels = (run: DirectionRun) => {
    const key = `${run.dims.X}x${run.dims.H}`;
    let k = compiled.get(key);
    if (!k) {
      const src = jsKernels(cell, run.dims);
      k = {
        forward: new Function('P', 'gemmNT', 'transpose', `"use strict";${prelude}${F64(src.forwardSource)}`) as Factory,
        backward: new Function('P', 'gemmNT', 'transpose', `"use strict";${prelude}${F64(src.backwardSource)}`) as Factory,
      };
      compiled.set(key, k);
    }
    return k;
  };
  const transpose64 = (A: Float64Array, rows: number, cols: number): Float64Array => {
    const out = new Float64Array(rows * cols);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = A[r * cols + c]!;
    return out;
  };
  const gemm = gemmNT as unknown;
  const params = (run: DirectionRun) => cell.params.map((p) => Float64Array.from(run.params.get(p.name)!));
  return {
    name: 'js64',
    forwardDirection(run: DirectionRun): DirectionResult {
      const { steps: T, batch: B, dims } = run;
      const P = params(run);
      const x = Float64Array.from(run.input);
      const states = run.initial.map((st) => Float64Array.from(st));
      const out = new Float64Array(T * B * dims.H);
      const tape = kernels(run).forward(P, gemm, transpose64)(T, B, run.lengths, run.reverse, x, states, out, run.training);
      return { output: out, final: states, tape: { tape, x, P } };
    },
    backwardDirection(run: DirectionRun, result: DirectionResult, gradOutput: Float64Array, gradFinal: readonly Float64Array[]): DirectionGrads {
      const { steps: T, batch: B, dims } = run;
      const { tape, x, P } = result.tape as { tape: unknown; x: Float64Array; P: Float64Array[] };
      const carried = gradFinal.map((g) => Float64Array.from(g));
      const gp = P.map((p) => new Float64Array(p.length));
      const dx = new Float64Array(T * B * dims.X);
      kernels(run).backward(P, gemm, transpose64)(T, B, run.lengths, run.reverse, run.truncate ?? 0, x, Float64Array.from(gradOutput), carried, tape, gp, dx);
      return { dInput: dx, dInitial: carried, grads: new Map(cell.params.map((p, i) => [p.name, gp[i]!])) };
    },
  };
}

export interface FuzzOptions {
  readonly runs: number;
  readonly seed?: number;
  readonly path?: string;
  readonly forms?: Forms;
  readonly backends?: readonly BackendName[];
  readonly tol?: number;
  /** Called after every run of the property (shrinking included) with the count so far and whether it failed. */
  readonly onRun?: (count: number, failed: boolean) => void;
  /** Write each case (JSON) to this file before running it: a run that hangs leaves its case there. */
  readonly record?: string;
  /** Also check js's kernels in float64 against the reference within 1e-9 (default true). */
  readonly exact?: boolean;
  /** Called for each disagreement forgiven as ill-conditioned (see checkCase). */
  readonly onIllConditioned?: (backend: BackendName, detail: string, c: FuzzCase) => void;
}

export interface FuzzResult {
  readonly failed: boolean;
  readonly runs: number;
  readonly seed: number;
  readonly path?: string;
  readonly shrinks: number;
  readonly counterexample?: FuzzCase;
  /** The minimal failure's message (backend, results, config, cell source). */
  readonly message?: string;
}

export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  const backends = options.backends ?? (await availableBackends()).available;
  if (backends.length === 0) throw new Error('no backend to test against the reference');
  let count = 0;
  const property = fc.asyncProperty(caseArb(options.forms ?? 'all'), async (c) => {
    if (options.record) writeFileSync(options.record, `${JSON.stringify({ run: count + 1, case: c })}\n${caseSource(c)}`);
    let failed = true;
    try {
      await checkCase(c, backends, options.tol ?? TOLERANCE, (b, detail) => options.onIllConditioned?.(b, detail, c), options.exact ?? true);
      failed = false;
    } finally {
      options.onRun?.(++count, failed);
    }
  });
  const details = await fc.check(property, {
    numRuns: options.runs,
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.path !== undefined ? { path: options.path } : {}),
  });
  if (!details.failed) return { failed: false, runs: details.numRuns, seed: details.seed, shrinks: 0 };
  const error = details.errorInstance;
  return {
    failed: true,
    runs: details.numRuns,
    seed: details.seed,
    ...(details.counterexamplePath ? { path: details.counterexamplePath } : {}),
    shrinks: details.numShrinks,
    ...(details.counterexample ? { counterexample: details.counterexample[0] } : {}),
    message: error instanceof Error ? error.message : String(error),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Command line.

const randomSeed = () => Math.floor(Math.random() * 2 ** 31);

const USAGE = 'usage: npm run fuzz -- [--runs N] [--seed N] [--path P] [--forms plain|all] [--backends js,wasm,webgpu] [--tol E] [--no-exact] [--record FILE]';

function parse(argv: readonly string[]): FuzzOptions & { wanted: BackendName[]; explicit: boolean } {
  let runs = 1000;
  let seed: number | undefined;
  let path: string | undefined;
  let forms: Forms = 'all';
  let wanted: BackendName[] = ['js', 'wasm', 'webgpu'];
  let explicit = false;
  let exact = true;
  let record: string | undefined;
  let tol = TOLERANCE;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const need = () => {
      if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
      i++;
      return value;
    };
    const int = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw new Error(`${flag} needs an integer, got '${v}'\n${USAGE}`);
      return n;
    };
    if (flag === '--runs') runs = int(need());
    else if (flag === '--seed') seed = int(need());
    else if (flag === '--path') path = need();
    else if (flag === '--forms') {
      const f = need();
      if (f !== 'plain' && f !== 'all') throw new Error(`--forms is plain or all, got '${f}'`);
      forms = f;
    } else if (flag === '--backends') {
      wanted = need().split(',') as BackendName[];
      explicit = true;
    }
    else if (flag === '--tol') tol = Number(need());
    else if (flag === '--no-exact') exact = false;
    else if (flag === '--record') record = need();
    else if (flag === '--help' || flag === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown flag '${flag}'\n${USAGE}`);
  }
  if (!(runs >= 1)) throw new Error(`--runs must be at least 1\n${USAGE}`);
  return { runs, ...(seed !== undefined ? { seed } : {}), ...(path !== undefined ? { path } : {}), forms, wanted, explicit, exact, tol, ...(record !== undefined ? { record } : {}) };
}

/**
 * compileCell keeps every compiled cell (and its kernels) for the life of the process, about 0.25 MB per distinct
 * random cell: past ~6 000 runs every full garbage collection marks gigabytes, and the typed arrays each run
 * allocates trigger one every few runs, so a single process slows from ~30 runs/s to under one. Long runs are
 * therefore split into chunks of CHUNK runs, each in a fresh child process, chunk k with seed + k.
 */
const CHUNK = 2500;

function runChunks(argv: readonly string[], opts: { runs: number; seed: number }): number {
  const start = performance.now();
  const chunks = Math.ceil(opts.runs / CHUNK);
  const rest = stripFlags(argv, ['--runs', '--seed', '--path']);
  let done = 0;
  for (let k = 0; k < chunks; k++) {
    const runs = Math.min(CHUNK, opts.runs - done);
    console.log(`chunk ${k + 1}/${chunks}: ${runs} runs, seed ${opts.seed + k}`);
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...rest, '--runs', String(runs), '--seed', String(opts.seed + k)], {
      stdio: 'inherit',
      env: { ...process.env, CELLFORGE_FUZZ_CHILD: '1' },
    });
    if (child.status !== 0) return child.status ?? 2;
    done += runs;
  }
  const seconds = (performance.now() - start) / 1000;
  console.log(`fuzz: all ${done} runs passed in ${seconds.toFixed(1)} s (${(done / seconds).toFixed(1)} runs/s), seeds ${opts.seed}..${opts.seed + chunks - 1}`);
  return 0;
}

function stripFlags(argv: readonly string[], flags: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (flags.includes(argv[i]!)) i++;
    else out.push(argv[i]!);
  }
  return out;
}

async function main(argv: readonly string[]): Promise<number> {
  const opts = parse(argv);
  if (opts.runs > CHUNK && opts.path === undefined && !process.env.CELLFORGE_FUZZ_CHILD) {
    return runChunks(argv, { runs: opts.runs, seed: opts.seed ?? randomSeed() });
  }
  const { available, skipped } = await availableBackends(opts.wanted, opts.explicit);
  for (const [b, why] of Object.entries(skipped)) console.log(`skipping backend ${b}: ${why.split('\n')[0]}`);
  if (available.length === 0) {
    console.error('fuzz: no backend to test against the reference');
    return 2;
  }
  const seed = opts.seed ?? randomSeed();
  const exactNote = opts.exact && available.includes('js') ? `, and js's kernels in float64 within ${EXACT_TOLERANCE}` : '';
  console.log(`fuzz: ${opts.runs} runs, seed ${seed}, forms ${opts.forms}, backends ${available.join(', ')} vs reference, tolerance ${opts.tol}${exactNote}`);
  const start = performance.now();
  let last = start;
  let failures = 0;
  let firstFailureAt = 0;
  let forgiven = 0;
  let firstForgiven = '';
  const progress = (count: number, final = false) => {
    const s = (performance.now() - start) / 1000;
    const phase = failures > 0 ? `shrinking (${count - firstFailureAt} tries)` : `${count}/${opts.runs} runs`;
    const mem = `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB, heap ${(getHeapStatistics().used_heap_size / 2 ** 20).toFixed(0)}/${(getHeapStatistics().heap_size_limit / 2 ** 20).toFixed(0)}`;
    process.stdout.write(`${final ? '' : '\r'}  ${phase}, ${(count / s).toFixed(1)} runs/s, ${failures > 0 ? 1 : 0} failure(s), ${forgiven} ill-conditioned, ${s.toFixed(0)} s, rss ${mem} MiB${final ? '\n' : ''}`);
  };
  const result = await fuzz({
    ...opts,
    seed,
    backends: available,
    onIllConditioned: (backend, detail, c) => {
      if (failures > 0) return; // while shrinking, smaller cases are not new findings
      forgiven++;
      if (!firstForgiven) firstForgiven = `${backend}:\n${detail}\nconfig: ${JSON.stringify(c.config)}\ncell:\n${caseSource(c)}`;
    },
    onRun: (count, failed) => {
      if (failed && failures === 0) {
        failures = 1;
        firstFailureAt = count;
        process.stdout.write(`\n  failure at run ${count}; shrinking...\n`);
      }
      const now = performance.now();
      if (now - last > 2000) {
        last = now;
        progress(count);
      }
    },
  });
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write('\n');
  if (forgiven > 0) {
    console.log(`${forgiven} disagreement(s) above ${opts.tol} were float32 rounding on an ill-conditioned problem (the same code in float64 agrees, or the reference itself moves as much under float32 rounding of its data), not counted; the first:\n${firstForgiven}`);
  }
  if (!result.failed) {
    console.log(`fuzz: ${result.runs} runs passed in ${seconds.toFixed(1)} s (${(result.runs / seconds).toFixed(1)} runs/s), seed ${result.seed}`);
    return 0;
  }
  console.log(`fuzz: FAILED after ${result.runs} runs (${result.shrinks} shrinks, ${seconds.toFixed(1)} s)`);
  const backendsFlag = opts.explicit ? ` --backends ${available.join(',')}` : '';
  console.log(`replay: npm run fuzz -- --seed ${result.seed}${result.path ? ` --path ${result.path}` : ''} --forms ${opts.forms}${backendsFlag} --runs 1`);
  console.log(`minimal counterexample:\n${result.message}`);
  if (result.counterexample) console.log(`case: ${JSON.stringify(result.counterexample)}`);
  return 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(2);
    },
  );
}
