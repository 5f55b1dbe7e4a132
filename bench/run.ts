// `npm run bench`: cellforge against its peers, interleaved, repeated, medians.
//
//   npm run bench                        full run (5-10 minutes on 2 cores, depending on other load), writes bench/results.json
//   npm run bench -- --quick             smoke run: 1 round, T shrunk, no results file (unless --out)
//   npm run bench -- --cases lstm-S1,gru-S2 --modes fwd --rounds 9 --backends js,wasm --out FILE
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allCases, FLOP_NOTE, flops, makeWorkload, message, modes, Skip, type Case, type Contender, type Mode, type Runner } from './cases.js';
import { brainContender } from './contenders/brain.js';
import { cellforgeContender, compileTimes, type CellforgeBackend, type CompileTime } from './contenders/cellforge.js';
import { ortContender, releaseOrtModels } from './contenders/ort.js';
import { gemmGflops, nativeGemmGflops, ortMatMulGflops } from './gemm.js';
import { relaxedSimd } from '../compiler/codegen/wasm/assemble.js';
import { defaultThreads } from '../runtime/wasm/pool.js';
import { tfjsContender } from './contenders/tfjs.js';
import { stopTorch, torchContender } from './contenders/torch.js';
import { interleaved, median, relativeIqr, repsFor, roundsFor, time } from './stats.js';
import { formatReport, machineInfo, type CellResult, type ContenderInfo, type Report, type RowResult } from './table.js';

const usage = `usage: npm run bench -- [--quick] [--cases lstm-S1,gru-S3,...] [--modes fwd,fwd+bwd] [--rounds N]
                     [--backends js,wasm,webgpu,native,reference] [--contenders cf-js,ort-1t,...] [--row-budget SECONDS]
                     [--out FILE]`;

/** A run slower than this is not repeated (the cell shows n/a with the time of the one run), or not run at all when
 * it can be foreseen. --quick uses QUICK_SLOW_RUN_MS, to stay a smoke run of well under a minute. */
const SLOW_RUN_MS = 30_000;
const QUICK_SLOW_RUN_MS = 3_000;
/** Total time the full run aims at (rows get fewer rounds as the deadline approaches, never fewer than MIN_ROUNDS). */
const TOTAL_BUDGET_MS = 7 * 60_000;
const MIN_ROUNDS = 3;
/** A contender whose run takes longer than this is sampled at least twice (not three times): keeps the run short. */
const HEAVY_RUN_MS = 5_000;
const MIN_ROUNDS_HEAVY = 2;
/** Past TOTAL_BUDGET_MS a heavy contender gets a single sample after its warm-up. */
const MIN_ROUNDS_HEAVY_LATE = 1;
/** A sample lasts at least this long: shorter runs are repeated back to back within one sample (and averaged). */
const MIN_SAMPLE_MS = 25;
/** Warm-up: runs until this much time has passed (at least 2, at most MAX_WARMUPS). */
const WARM_MS = 500;
const MAX_WARMUPS = 40;
/** A pause before the first row (see where it is used). */
const QUIET_START_MS = 3000;
/** Runs shorter than this get an untimed primer run before each sample (stats.ts, SETTLE_MS). */
const PRIME_BELOW_MS = 1000;

interface Options {
  quick: boolean;
  cases?: string[];
  modes: Mode[];
  rounds: number;
  backends: CellforgeBackend[];
  rowBudgetS: number;
  contenders?: string[];
  out?: string;
}

function fail(text: string): never {
  console.error(`bench: ${text}\n${usage}`);
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, modes: [...modes], rounds: 7, backends: ['js', 'wasm', 'webgpu', 'native', 'reference'], rowBudgetS: 35 };
  let roundsGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? fail(`${flag} needs a value`);
    const list = () => value().split(',').map((s) => s.trim()).filter(Boolean);
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--cases':
        o.cases = list();
        break;
      case '--modes':
        o.modes = list().map((m) => (modes.includes(m as Mode) ? (m as Mode) : fail(`unknown mode '${m}' (modes: ${modes.join(', ')})`)));
        break;
      case '--rounds': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) fail('--rounds needs a positive integer');
        o.rounds = n;
        roundsGiven = true;
        break;
      }
      case '--backends':
        o.backends = list().map((b) =>
          ['js', 'wasm', 'webgpu', 'native', 'reference'].includes(b) ? (b as CellforgeBackend) : fail(`unknown cellforge backend '${b}' (js, wasm, webgpu, native, reference)`),
        );
        break;
      case '--row-budget': {
        const n = Number(value());
        if (!(n > 0)) fail('--row-budget needs a positive number of seconds');
        o.rowBudgetS = n;
        break;
      }
      case '--contenders':
        o.contenders = list();
        break;
      case '--out':
        o.out = value();
        break;
      case '--help':
      case '-h':
        console.log(usage);
        process.exit(0);
      default:
        fail(`unknown argument '${a}'`);
    }
  }
  if (o.quick && !roundsGiven) o.rounds = 1;
  return o;
}

/** Steps of the probe run that checks a contender expected to be too slow. */
const PROBE_STEPS = 2;

/**
 * Expected ms of one run of a contender on this row, from what it did before: for forward+backward, 3× its forward
 * on the same case; else the row's FLOPs at its best throughput so far in this mode. Undefined without history.
 */
function fromHistory(rows: readonly RowResult[], name: string, caseId: string, mode: Mode, rowFlops: number): { ms: number; sameCase: boolean } | undefined {
  if (mode === 'fwd+bwd') {
    const fwd = rows.find((r) => r.case === caseId && r.mode === 'fwd')?.contenders[name];
    const ms = fwd?.medianMs ?? fwd?.warmupMs?.[0] ?? fwd?.estimatedMs;
    if (ms !== undefined) return { ms: 3 * ms, sameCase: true };
  }
  const rates = rows
    .filter((r) => r.mode === mode)
    .map((r) => {
      const x = r.contenders[name];
      const ms = x?.medianMs ?? x?.warmupMs?.[0] ?? x?.estimatedMs;
      return ms ? r.flops / (ms * 1e6) : 0;
    })
    .filter((g) => g > 0);
  return rates.length ? { ms: rowFlops / (Math.max(...rates) * 1e6), sameCase: false } : undefined;
}

/**
 * A reason not to run a contender on this row when one run would take more than `limitMs`: judged from its
 * history, and when that says "too slow" but comes from another case, confirmed by timing a PROBE_STEPS-step run
 * of this case (scaled linearly to T; a second probe run when the first one may include start-up costs).
 */
async function tooSlow(
  rows: readonly RowResult[],
  k: Contender,
  c: Case,
  mode: Mode,
  rowFlops: number,
  limitMs: number,
): Promise<{ reason: string; ms: number } | undefined> {
  const hist = fromHistory(rows, k.name, c.id, mode, rowFlops);
  if (!hist || hist.ms <= limitMs) return undefined;
  const limit = `> ${limitMs / 1000} s per run${limitMs === QUICK_SLOW_RUN_MS ? ' (--quick limit)' : ''}; not run`;
  if (hist.sameCase) return { ms: hist.ms, reason: `too slow: forward+backward ≈ 3 × forward = ${(hist.ms / 1000).toFixed(0)} s ${limit}` };
  const steps = Math.min(c.T, PROBE_STEPS);
  if (steps === c.T) return undefined;
  let runner: Runner | undefined;
  try {
    runner = await k.prepare(makeWorkload({ ...c, T: steps }), mode);
    let ms = Infinity;
    for (let i = 0; i < 2; i++) {
      await runner.before?.();
      ms = Math.min(ms, (await time(() => runner!.run())) * (c.T / steps));
      if (ms <= limitMs || ms / (c.T / steps) > 5000) break;
    }
    if (ms <= limitMs) return undefined;
    return { ms, reason: `too slow: about ${(ms / 1000).toFixed(0)} s per run (timed at T=${steps}, scaled to T=${c.T}) ${limit}` };
  } catch {
    return undefined; // the real prepare reports the problem
  } finally {
    await runner?.dispose?.();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = machineInfo();
  const opts = parseArgs(process.argv.slice(2));
  const cases = allCases(opts.quick).filter((c) => !opts.cases || opts.cases.includes(c.id));
  const unknown = (opts.cases ?? []).filter((id) => !cases.some((c) => c.id === id));
  if (unknown.length) fail(`unknown case ${unknown.join(', ')} (cases: ${allCases(false).map((c) => c.id).join(', ')})`);
  const log = (s: string) => process.stderr.write(`${s}\n`);

  // Contenders: cellforge backends first, then the peers. One that fails to load is n/a everywhere.
  const everyone: Contender[] = [
    ...opts.backends.flatMap((b) => (b === 'wasm' ? [cellforgeContender('wasm', 1), cellforgeContender('wasm')] : [cellforgeContender(b)])),
    ortContender(1),
    ortContender(2),
    torchContender('builtin'),
    torchContender('custom'),
    tfjsContender('wasm'),
    tfjsContender('cpu'),
    tfjsContender('webgpu'),
    brainContender(),
  ];
  const contenders = everyone.filter((k) => !opts.contenders || opts.contenders.includes(k.name));
  const unknownNames = (opts.contenders ?? []).filter((n) => !everyone.some((k) => k.name === n));
  if (unknownNames.length) fail(`unknown contender ${unknownNames.join(', ')} (contenders: ${everyone.map((k) => k.name).join(', ')})`);
  const infos: ContenderInfo[] = [];
  const unavailable = new Map<string, string>();
  for (const k of contenders) {
    try {
      await k.init();
      infos.push({ name: k.name, description: k.describe() });
    } catch (e) {
      unavailable.set(k.name, message(e));
      infos.push({ name: k.name, description: '', unavailable: message(e) });
    }
  }

  let compile: CompileTime[] = [];
  try {
    log('compile times of the sample cells...');
    compile = compileTimes(opts.quick ? 1 : 3);
  } catch (e) {
    log(`compile times failed: ${message(e)}`);
  }

  let gemm: Report['gemm'];
  if ((opts.backends.includes('wasm') || opts.backends.includes('native')) && (!opts.contenders || opts.contenders.some((n) => n.startsWith('cf-wasm') || n.startsWith('cf-native')))) {
    log('GEMM 512³: cellforge wasm and native against onnxruntime MatMul...');
    gemm = await gemmRow(512, opts.quick ? 1 : 3);
  }

  // V8 keeps compiling the compiler's modules (TypeScript, ts-morph) on a background thread for about a second
  // after they are first used: on 2 cores the first rows ran up to 2x slower until it finished (measured).
  if (!opts.quick) await new Promise((resolve) => setTimeout(resolve, QUIET_START_MS));

  const rows: RowResult[] = [];
  const totalRows = cases.length * opts.modes.length;
  for (const c of cases) {
    const w = makeWorkload(c);
    for (const mode of opts.modes) {
      const row: RowResult = {
        case: c.id, cell: c.cell, size: c.size, mode, dims: { B: c.B, X: c.X, H: c.H, T: c.T }, flops: flops(c, mode), rounds: 0, contenders: {},
      };
      const res = row.contenders;
      // Prepare every contender (untimed), then warm each up.
      const prepared: { name: string; runner: Runner }[] = [];
      for (const k of contenders) {
        const na = unavailable.get(k.name) ?? k.unsupported(c, mode);
        if (na !== undefined) {
          res[k.name] = { status: 'n/a', reason: na };
          continue;
        }
        const slow = await tooSlow(rows, k, c, mode, row.flops, opts.quick ? QUICK_SLOW_RUN_MS : SLOW_RUN_MS);
        if (slow) {
          res[k.name] = { status: 'n/a', reason: slow.reason, estimatedMs: Math.round(slow.ms) };
          continue;
        }
        try {
          prepared.push({ name: k.name, runner: await k.prepare(w, mode) });
        } catch (e) {
          res[k.name] = e instanceof Skip ? { status: 'n/a', reason: message(e) } : { status: 'error', reason: `prepare: ${message(e)}` };
        }
      }
      // Warm-up (untimed for the medians): at least two runs and WARM_MS of them (one run when it takes seconds);
      // none in --quick. A new RNN's first ~15 runs at S2 are 2x slower here: every output is fresh memory until
      // glibc raises its mmap threshold (page faults cost ~10 µs each in this VM), and the JIT is still tiering up.
      const warmups = opts.quick ? 0 : 2;
      const live: typeof prepared = [];
      for (const p of prepared) {
        const warm: number[] = [];
        try {
          const start = performance.now();
          for (let k = 0; k < warmups || (k < MAX_WARMUPS && performance.now() - start < WARM_MS); k++) {
            await p.runner.before?.();
            warm.push(await time(() => p.runner.run()));
            if (warm[0]! > 2000) break; // a long run warms itself up
          }
        } catch (e) {
          res[p.name] = { status: 'error', reason: message(e) };
          continue;
        }
        if (warm.length && warm[0]! > SLOW_RUN_MS) {
          res[p.name] = { status: 'n/a', reason: `too slow: one run took ${(warm[0]! / 1000).toFixed(0)} s (> ${SLOW_RUN_MS / 1000} s), not repeated`, warmupMs: warm };
          continue;
        }
        res[p.name] = { status: 'ok', ...(warm.length ? { warmupMs: warm } : {}) };
        live.push(p);
      }

      // Rounds: every contender gets as many as fit its share of this row's budget (the row's share of the time
      // left), between MIN_ROUNDS (MIN_ROUNDS_HEAVY for runs over 5 s, 1 once past the total budget) and --rounds;
      // the fast ones go on after the slow ones have their minimum.
      const rowsLeft = totalRows - rows.length;
      const leftMs = TOTAL_BUDGET_MS - (performance.now() - started);
      const shareMs = Math.min(opts.rowBudgetS * 1000, Math.max(0, leftMs) / rowsLeft) / Math.max(1, live.length);
      const reps = new Map(live.map((p) => [p.name, opts.quick ? 1 : repsFor(res[p.name]!.warmupMs!.at(-1)!, MIN_SAMPLE_MS)]));
      const caps = new Map(
        live.map((p) => {
          if (opts.quick) return [p.name, opts.rounds];
          const runMs = res[p.name]!.warmupMs!.at(-1)!;
          const heavyMin = leftMs > 0 ? MIN_ROUNDS_HEAVY : MIN_ROUNDS_HEAVY_LATE;
          const min = Math.min(runMs > HEAVY_RUN_MS ? heavyMin : MIN_ROUNDS, opts.rounds);
          return [p.name, roundsFor(runMs * reps.get(p.name)!, shareMs, min, opts.rounds)];
        }),
      );
      row.rounds = Math.max(0, ...caps.values());
      const samples = await interleaved(
        live.map((p) => ({ name: p.name, cap: caps.get(p.name)!, reps: reps.get(p.name)!, prime: !p.runner.runTimed && res[p.name]!.warmupMs!.at(-1)! < PRIME_BELOW_MS, run: () => p.runner.run(), ...(p.runner.before ? { before: () => p.runner.before!() } : {}) })),
        row.rounds,
        (name, e) => (res[name] = { status: 'error', reason: message(e) }),
      );

      // Agreement of the forward outputs (of each contender's last run) with the oracle contender's.
      if (mode === 'fwd') {
        const outs = live
          .filter((p) => res[p.name]!.status === 'ok')
          .map((p) => ({ name: p.name, out: p.runner.output?.() }))
          .filter((o) => o.out !== undefined);
        const oracle = outs.find((o) => o.name === 'ort-1t') ?? outs.find((o) => o.name === 'cf-reference') ?? outs[0];
        if (oracle && outs.length > 1) {
          const maxAbsDiff: Record<string, number> = {};
          for (const o of outs) {
            if (o === oracle) continue;
            let d = o.out!.length === oracle.out!.length ? 0 : Infinity;
            for (let i = 0; i < o.out!.length && d !== Infinity; i++) d = Math.max(d, Math.abs(o.out![i]! - oracle.out![i]!));
            maxAbsDiff[o.name] = d;
          }
          row.agreement = { oracle: oracle.name, maxAbsDiff };
        }
      }
      for (const p of live) {
        const r: CellResult = res[p.name]!;
        if (r.status !== 'ok') continue;
        const xs = samples.get(p.name)!;
        r.samplesMs = xs.map((x) => Math.round(x * 1000) / 1000);
        if (reps.get(p.name)! > 1) r.callsPerSample = reps.get(p.name)!;
        r.medianMs = median(xs);
        r.gflops = row.flops / (r.medianMs * 1e6);
        const iqr = relativeIqr(xs);
        if (Number.isFinite(iqr)) r.relIqr = Math.round(iqr * 1000) / 1000;
      }
      for (const p of prepared) {
        try {
          await p.runner.dispose?.();
        } catch {
          // disposal problems do not change a measurement
        }
      }
      rows.push(row);
      const summary = Object.entries(res)
        .filter(([, r]) => r.status === 'ok')
        .map(([n, r]) => `${n} ${r.medianMs!.toFixed(2)}`)
        .join('  ');
      log(`[${rows.length}/${totalRows}] ${c.id} ${mode} T=${c.T} rounds ${row.rounds}: ${summary}  (${((performance.now() - started) / 1000).toFixed(0)} s)`);
    }
    releaseOrtModels();
  }

  // Descriptions again after the runs: some report what they measured (GPU queue submissions per run).
  for (const info of infos) {
    const k = contenders.find((c) => c.name === info.name);
    if (k && !info.unavailable) info.description = k.describe();
  }
  const report: Report = {
    machine,
    date: new Date().toISOString(),
    options: { quick: opts.quick, maxRounds: opts.rounds, rowBudgetS: opts.rowBudgetS, cases: cases.map((c) => c.id), backends: opts.backends },
    flopNote: FLOP_NOTE,
    contenders: infos,
    rows,
    compile,
    ...(gemm ? { gemm } : {}),
    totalSeconds: (performance.now() - started) / 1000,
  };
  console.log(formatReport(report));
  const out = opts.out ?? (opts.quick ? undefined : fileURLToPath(new URL('./results.json', import.meta.url)));
  if (out) {
    writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`results written to ${out}`);
  } else {
    console.log('(--quick: no results file written; pass --out FILE to keep one)');
  }
}

main().then(
  () => {
    stopTorch();
    process.exit(0);
  }, // native add-ons (onnxruntime, webgpu) may hold the event loop open
  (e: unknown) => {
    console.error(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);

/** The GEMM row: cellforge's wasm GEMM (1 thread with and without FMA, all threads) and onnxruntime's MatMul, interleaved. */
async function gemmRow(size: number, rounds: number): Promise<NonNullable<Report['gemm']>> {
  const all = defaultThreads();
  const fma = relaxedSimd();
  const contenders: { name: string; run: () => Promise<number> }[] = [
    { name: `cf-wasm gemm, 1 thread${fma ? ', relaxed-SIMD FMA' : ''}`, run: () => gemmGflops({ size, threads: 1, fma }) },
    ...(fma ? [{ name: 'cf-wasm gemm, 1 thread, mul+add', run: () => gemmGflops({ size, threads: 1, fma: false }) }] : []),
    { name: `cf-wasm gemm, ${all} threads`, run: () => gemmGflops({ size, threads: all, fma }) },
    { name: 'cf-native gemm, 1 thread', run: () => nativeGemmGflops(size, 1) },
    { name: `cf-native gemm, ${all} threads`, run: () => nativeGemmGflops(size, all) },
    { name: 'onnxruntime MatMul, 1 thread', run: () => ortMatMulGflops(size, 1) },
    { name: `onnxruntime MatMul, ${all} threads`, run: () => ortMatMulGflops(size, all) },
  ];
  const samples = contenders.map(() => [] as number[]);
  const notes: (string | undefined)[] = contenders.map(() => undefined);
  for (let r = 0; r < rounds; r++) {
    for (const [i, k] of contenders.entries()) {
      if (notes[i]) continue;
      try {
        samples[i]!.push(await k.run());
      } catch (e) {
        notes[i] = message(e);
      }
    }
  }
  return {
    size,
    rounds,
    results: contenders.map((k, i) => ({ name: k.name, gflops: samples[i]!.length ? median(samples[i]!) : null, ...(notes[i] ? { note: notes[i] } : {}) })),
  };
}
