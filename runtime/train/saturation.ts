// Gate saturation of the built-in LSTM, GRU and tanh RNN: how often each gate sits in the flat tails of its
// nonlinearity (sigmoid < 0.05 or > 0.95, |tanh| > 0.95), where its local derivative is nearly zero.
// Gates are recomputed from the weights and the RNN's own outputs, so only cells whose layout is known (the
// built-ins, recognised by their exact source) and single-layer unidirectional models are measured.
import { builtinCell } from '../../compiler/compile.js';
import { toFloat64 } from '../tensor.js';
import type { Example } from './batch.js';
import type { SequenceModel } from './model.js';

export interface GateStat {
  readonly gate: string;
  readonly fn: 'sigmoid' | 'tanh';
  /** Fraction of activations in the low tail (sigmoid < 0.05, tanh < -0.95) and the high tail (> 0.95). */
  readonly low: number;
  readonly high: number;
  readonly mean: number;
}

const layouts: Record<string, readonly { gate: string; fn: 'sigmoid' | 'tanh' }[]> = {
  lstm: [
    { gate: 'i (input)', fn: 'sigmoid' },
    { gate: 'f (forget)', fn: 'sigmoid' },
    { gate: 'g (candidate)', fn: 'tanh' },
    { gate: 'o (output)', fn: 'sigmoid' },
  ],
  gru: [
    { gate: 'r (reset)', fn: 'sigmoid' },
    { gate: 'z (update)', fn: 'sigmoid' },
    { gate: 'n (candidate)', fn: 'tanh' },
  ],
  rnn_tanh: [{ gate: 'h = tanh(·)', fn: 'tanh' }],
};

function knownLayout(model: SequenceModel): string | undefined {
  return Object.keys(layouts).find((name) => builtinCell(name).source === model.cell.source);
}

export async function gateSaturation(model: SequenceModel, examples: readonly Example[]): Promise<GateStat[] | undefined> {
  const kind = knownLayout(model);
  const rnn = model.rnn;
  const { numLayers, directions, hiddenSize: H } = rnn.config;
  if (!kind || numLayers !== 1 || directions !== 1 || examples.length === 0) return undefined;
  const wasTraining = rnn.training;
  const calls = model.forwardCalls;
  const batch = model.batchOf(examples);
  const { steps: T, batch: B, lengths } = batch;
  const X = model.inputSize;
  const x = model.inputOf(batch);
  rnn.eval();
  const out = toFloat64((await rnn.forward({ data: x, shape: [T, B, X] }, { lengths })).output);
  rnn.train(wasTraining);
  model.forwardCalls = calls;

  const p = Object.fromEntries(rnn.parameters().map((q) => [q.name, q.data]));
  const [wih, whh, bih, bhh] = [p.weight_ih_l0!, p.weight_hh_l0!, p.bias_ih_l0!, p.bias_hh_l0!];
  const gates = layouts[kind]!;
  const G = wih.length / (H * X);
  const acc = gates.map(() => ({ low: 0, high: 0, sum: 0, n: 0 }));
  const a = new Float64Array(G * H); // input projection per gate row
  const r = new Float64Array(G * H); // recurrent projection per gate row
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lengths[b]!; t++) {
      const xt = x.subarray((t * B + b) * X, (t * B + b + 1) * X);
      const hPrev = t === 0 ? new Float64Array(H) : out.subarray(((t - 1) * B + b) * H, ((t - 1) * B + b + 1) * H);
      for (let j = 0; j < G * H; j++) {
        let s = bih[j]!;
        for (let k = 0; k < X; k++) s += wih[j * X + k]! * xt[k]!;
        a[j] = s;
        let q = bhh[j]!;
        for (let k = 0; k < H; k++) q += whh[j * H + k]! * hPrev[k]!;
        r[j] = q;
      }
      for (let u = 0; u < H; u++) {
        gates.forEach((g, gi) => {
          let v: number;
          if (kind === 'gru' && gi === 2) v = Math.tanh(a[2 * H + u]! + sigmoid(a[u]! + r[u]!) * r[2 * H + u]!);
          else if (g.fn === 'sigmoid') v = sigmoid(a[gi * H + u]! + r[gi * H + u]!);
          else v = Math.tanh(a[gi * H + u]! + r[gi * H + u]!);
          const s = acc[gi]!;
          s.n++;
          s.sum += v;
          if (v > 0.95) s.high++;
          else if (g.fn === 'sigmoid' ? v < 0.05 : v < -0.95) s.low++;
        });
      }
    }
  }
  return gates.map((g, gi) => ({ gate: g.gate, fn: g.fn, low: acc[gi]!.low / acc[gi]!.n, high: acc[gi]!.high / acc[gi]!.n, mean: acc[gi]!.sum / acc[gi]!.n }));
}

function sigmoid(v: number): number {
  return 1 / (1 + Math.exp(-v));
}
