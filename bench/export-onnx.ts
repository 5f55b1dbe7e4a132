// Inference time of an exported cell on onnxruntime-node next to cellforge's backends (forward only, eval mode).
// usage: npx tsx bench/export-onnx.ts [--cells mgu,lstm] [--sizes S1,S2] [--rounds N] [--backends wasm,native,js]
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { builtinCell, RNN } from '../index.js';
import { exportOnnx, onnxLowering } from '../compiler/export/index.js';
import type { BackendName } from '../runtime/backends.js';
import { Random } from '../runtime/random.js';
import { sizes, type SizeName } from './cases.js';

const { values } = parseArgs({ options: { cells: { type: 'string' }, sizes: { type: 'string' }, rounds: { type: 'string' }, backends: { type: 'string' } } });
const cells = (values.cells ?? 'mgu').split(',');
const sizeNames = (values.sizes ?? 'S1,S2').split(',') as SizeName[];
const rounds = Number(values.rounds ?? 7);
const backends = (values.backends ?? 'wasm,native').split(',') as BackendName[];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function time(f: () => Promise<unknown>): Promise<number> {
  await f(); // warm-up: compilation, session optimisation, first allocations
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

for (const name of cells) {
  const cell = builtinCell(name);
  for (const size of sizeNames) {
    const { B, X, H, T } = sizes[size];
    const rng = new Random(5);
    const x = Float32Array.from({ length: T * B * X }, () => rng.uniform(-1, 1));
    const rows: string[] = [];
    let model: Uint8Array | undefined;
    for (const backend of backends) {
      const rnn = new RNN(cell, { inputSize: X, hiddenSize: H, backend }).eval();
      model ??= exportOnnx(cell, rnn.stateDict(), { version: 'bench' });
      const ms = await time(() => rnn.forward({ data: x, shape: [T, B, X] }));
      rows.push(`cellforge ${rnn.backend.name} ${ms.toFixed(2)} ms`);
      rnn.dispose();
    }
    const session = await ort.InferenceSession.create(model!, { logSeverityLevel: 3 });
    const feeds: Record<string, ort.Tensor> = { input: new ort.Tensor('float32', x, [T, B, X]) };
    for (const s of cell.states) feeds[`${s}0`] = new ort.Tensor('float32', new Float32Array(B * H), [1, B, H]);
    const ortMs = await time(() => session.run(feeds));
    console.log(`${name} ${size} (B=${B} X=${X} H=${H} T=${T}): onnxruntime (${onnxLowering(cell)}) ${ortMs.toFixed(2)} ms; ${rows.join('; ')}`);
    await session.release();
  }
}
