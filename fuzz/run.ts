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
// checkCase in fuzz/check.ts). The cases come from fuzz/cases.ts.
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
import { builtinCell, RNN, type BackendName } from '../index.js';
import { caseArb, caseSource, type FuzzCase, type Forms } from './cases.js';
import { checkCase, EXACT_TOLERANCE, TOLERANCE } from './check.js';

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
