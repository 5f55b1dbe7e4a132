// Every sample cell PyTorch has no layer for, on cellforge's native backend against the same cell in PyTorch as
// `cellforge export --to pytorch` writes it (eager: the input projection of all steps in one product, then a
// Python loop over time, the way a new cell is written in PyTorch), on the same weights and inputs, interleaved,
// medians, 2 threads each. Not part of `npm run bench` (about 15 minutes for everything).
//
//   npx tsx bench/custom-cells.ts [--cells mgu,indrnn] [--sizes S1,S2] [--modes fwd,fwd+bwd] [--rounds N]
//
// PyTorch: $CELLFORGE_PYTHON (a Python with torch 2.x and numpy; bench/contenders/torch.ts finds one otherwise).
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { builtinCell, RNN, tensor } from '../index.js';
import { exportPytorch } from '../compiler/export/pytorch.js';
import { sizes, type Mode, type Runner, type SizeName } from './cases.js';
import { stopTorch, torchProcess, torchRunner } from './contenders/torch.js';
import { interleaved, median, repsFor, time } from './stats.js';
import { Random } from '../runtime/random.js';

/** Sample cells with a PyTorch layer of their own (nn.LSTM, nn.GRU, nn.RNN): compared in `npm run bench`. */
const BUILT_IN = new Set(['lstm', 'gru', 'rnn_tanh', 'rnn_relu']);
const THREADS = 2;
/** A contender whose run takes longer than this is timed once after its warm-up, not repeated. */
const SLOW_MS = 20_000;
/** PyTorch's eager backward through a long sequence takes minutes: rows it cannot finish in this are left out. */
const TOO_SLOW_MS = 60_000;

const { values } = parseArgs({ options: { cells: { type: 'string' }, sizes: { type: 'string' }, modes: { type: 'string' }, rounds: { type: 'string' } } });
const cellDir = fileURLToPath(new URL('../samples/cells/', import.meta.url));
const allCells = readdirSync(cellDir).filter((f) => f.endsWith('.cell.ts')).map((f) => f.replace('.cell.ts', '')).filter((c) => !BUILT_IN.has(c)).sort();
const cells = values.cells ? values.cells.split(',') : allCells;
const sizeNames = (values.sizes ?? 'S1,RM,PM,S2,S3').split(',') as SizeName[];
const modeNames = (values.modes ?? 'fwd,fwd+bwd').split(',') as Mode[];
const rounds = Number(values.rounds ?? 5);

const proc = await torchProcess();
const dir = mkdtempSync(join(tmpdir(), 'cellforge-custom-cells-'));
console.log(`cellforge native against the exported PyTorch module, ${THREADS} threads each; ${proc.version}; median ms per run`);
console.log(`${'case'.padEnd(26)} ${'cf-native'.padStart(10)} ${'torch (export)'.padStart(14)}  torch / cf   max |cf - torch|`);

try {
  for (const name of cells) {
    const cell = builtinCell(name);
    const module = join(dir, `${name}.py`);
    writeFileSync(module, exportPytorch(cell, { version: 'bench' }));
    for (const size of sizeNames) {
      const { B, X, H, T } = sizes[size];
      const rng = new Random(7, B * 31 + T);
      const uniform = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-1, 1));
      const x = uniform(T * B * X);
      const gout = uniform(T * B * H);
      for (const mode of modeNames) {
        const label = `${name}-${size} ${mode}`;
        const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, backend: 'native', threads: THREADS, seed: 1 });
        const weights = Object.fromEntries(Object.entries(rnn.stateDict()).map(([k, t]) => [k, Float32Array.from(t.data)]));
        const xt = tensor(x, [T, B, X]);
        let cfOut: ArrayLike<number> | undefined;
        if (mode === 'fwd') rnn.eval();
        else rnn.train();
        const cf: Runner = {
          async run() {
            const r = await rnn.forward(xt);
            cfOut = r.output.data;
            if (mode === 'fwd+bwd') await rnn.backward(tensor(gout, [T, B, H]));
          },
        };
        let torch: Runner | undefined;
        let torchNote = '';
        try {
          torch = await torchRunner(proc.process, { impl: 'export', module, cell: name, mode, B, X, H, T, threads: THREADS }, { x, gout, ...weights });
        } catch (e) {
          torchNote = e instanceof Error ? e.message.split('\n')[0]! : String(e);
        }
        const warm = async (r: Runner) => {
          const ms = [await time(() => r.run())];
          const start = performance.now();
          while (ms[0]! < 2000 && performance.now() - start < 500 && ms.length < 40) ms.push(await time(() => r.run()));
          return ms.at(-1)!;
        };
        const cfWarm = await warm(cf);
        const torchWarm = torch ? await warm(torch) : undefined;
        const runners = [
          { name: 'cf', run: () => cf.run(), reps: repsFor(cfWarm, 25), cap: cfWarm > SLOW_MS ? 1 : rounds, prime: cfWarm < 1000 },
          ...(torch && torchWarm! < TOO_SLOW_MS
            ? [{ name: 'torch', run: () => torch.run(), runTimed: (n: number) => torch.runTimed!(n), reps: repsFor(torchWarm!, 25), cap: torchWarm! > SLOW_MS ? 1 : rounds }]
            : []),
        ];
        if (torch && torchWarm! >= TOO_SLOW_MS) torchNote = `one run took ${(torchWarm! / 1000).toFixed(0)} s, not repeated`;
        const samples = await interleaved(runners, rounds, (who, e) => console.log(`${label}: ${who} failed: ${e instanceof Error ? e.message : e}`));
        const cfMs = median(samples.get('cf') ?? []);
        const torchMs = samples.get('torch')?.length ? median(samples.get('torch')!) : undefined;
        let agreement = '';
        const tOut = torch?.output?.();
        if (mode === 'fwd' && tOut && cfOut) {
          let m = 0;
          for (let i = 0; i < tOut.length; i++) m = Math.max(m, Math.abs(cfOut[i]! - tOut[i]!));
          agreement = m.toExponential(1);
        }
        const fmt = (ms: number | undefined) => (ms === undefined ? '-' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
        const ratio = torchMs !== undefined ? `${(torchMs / cfMs).toFixed(2)}x` : torchNote || 'n/a';
        console.log(`${label.padEnd(26)} ${fmt(cfMs).padStart(10)} ${fmt(torchMs).padStart(14)}  ${ratio.padStart(9)}   ${agreement}`);
        rnn.dispose();
        await torch?.dispose?.();
      }
    }
  }
} finally {
  stopTorch();
  rmSync(dir, { recursive: true, force: true });
}
