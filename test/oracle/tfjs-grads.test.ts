// Independent oracle for the backward pass: an LSTM and a GRU written by hand with tfjs-core ops (cpu backend,
// float32), unrolled over T steps and differentiated by tfjs's own autodiff (tf.grads), against cellforge's
// built-in cells on the reference backend with the same float32 weights. The loss is sum(output ⊙ R) (plus
// sum(h_n ⊙ R_h) + sum(c_n ⊙ R_c) in one case), so cellforge's backward gets gradOutput = R (gradHn = R_h, ...).
// Required: max |cellforge − tfjs| / max |tfjs| ≤ 1e-4 for every weight, the input and the initial states.
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's CommonJS bundle has no gradient functions (the tfjs union package registers them): register them
// from tfjs-core's own ES module build (vitest transforms it; the registry is global to all copies of tfjs-core).
import '@tensorflow/tfjs-core/dist/register_all_gradients.js';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtinCell, RNN, tensor, type Tensor } from '../../index.js';
import { Random } from '../../runtime/random.js';

const TOLERANCE = 1e-4;
const T = 6;
const B = 3;
const X = 5;
const H = 7;

type CellKind = 'lstm' | 'gru';
const GATES: Record<CellKind, number> = { lstm: 4, gru: 3 };

interface Weights {
  readonly weight_ih: Float32Array; // [G*H, X]
  readonly weight_hh: Float32Array; // [G*H, H]
  readonly bias_ih: Float32Array; // [G*H]
  readonly bias_hh: Float32Array; // [G*H]
}

/** A seeded stream of uniforms in [0, 1) (cellforge's counter-based PRNG). */
function prng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

const uniform = (rand: () => number, n: number, bound: number) => Float32Array.from({ length: n }, () => (2 * rand() - 1) * bound);

/** The tfjs model: one step of the cell, PyTorch conventions. Returns the new [h, c] (c only for the LSTM). */
function stepTf(kind: CellKind, w: Record<keyof Weights, tf.Tensor>, x: tf.Tensor2D, h: tf.Tensor2D, c: tf.Tensor2D | undefined): [tf.Tensor2D, tf.Tensor2D | undefined] {
  const gi = tf.add(tf.matMul(x, w.weight_ih as tf.Tensor2D, false, true), w.bias_ih) as tf.Tensor2D; // [B, G*H]
  const gh = tf.add(tf.matMul(h, w.weight_hh as tf.Tensor2D, false, true), w.bias_hh) as tf.Tensor2D;
  if (kind === 'lstm') {
    const [i, f, g, o] = tf.split(tf.add(gi, gh), 4, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const c2 = tf.add(tf.mul(tf.sigmoid(f), c!), tf.mul(tf.sigmoid(i), tf.tanh(g))) as tf.Tensor2D;
    return [tf.mul(tf.sigmoid(o), tf.tanh(c2)) as tf.Tensor2D, c2];
  }
  // GRU, reset gate applied after the hidden matmul (hn includes bias_hh's n chunk).
  const [xr, xz, xn] = tf.split(gi, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const [hr, hz, hn] = tf.split(gh, 3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const r = tf.sigmoid(tf.add(xr, hr));
  const z = tf.sigmoid(tf.add(xz, hz));
  const n = tf.tanh(tf.add(xn, tf.mul(r, hn)));
  return [tf.add(tf.mul(tf.sub(1, z), n), tf.mul(z, h)) as tf.Tensor2D, undefined];
}

interface Case {
  readonly name: string;
  readonly kind: CellKind;
  /** Pass random h0 (and c0) and compare their gradients. */
  readonly initial: boolean;
  /** Add sum(h_n ⊙ R_h) (+ sum(c_n ⊙ R_c)) to the loss. */
  readonly finalGrads: boolean;
  readonly seed: number;
}

interface Problem {
  readonly weights: Weights;
  readonly x: Float32Array;
  readonly h0?: Float32Array;
  readonly c0?: Float32Array;
  readonly r: Float32Array;
  readonly rh?: Float32Array;
  readonly rc?: Float32Array;
}

function problem(c: Case): Problem {
  const rand = prng(c.seed);
  const G = GATES[c.kind];
  const k = 1 / Math.sqrt(H);
  const lstm = c.kind === 'lstm';
  return {
    weights: { weight_ih: uniform(rand, G * H * X, k), weight_hh: uniform(rand, G * H * H, k), bias_ih: uniform(rand, G * H, k), bias_hh: uniform(rand, G * H, k) },
    x: uniform(rand, T * B * X, 1),
    r: uniform(rand, T * B * H, 1),
    ...(c.initial ? { h0: uniform(rand, B * H, 1), ...(lstm ? { c0: uniform(rand, B * H, 1) } : {}) } : {}),
    ...(c.finalGrads ? { rh: uniform(rand, B * H, 1), ...(lstm ? { rc: uniform(rand, B * H, 1) } : {}) } : {}),
  };
}

interface Result {
  readonly output: Float32Array | Float64Array;
  readonly grads: Record<string, Float32Array | Float64Array>;
}

/** tfjs: the unrolled forward and tf.grads of the loss with respect to the weights, the input and h0/c0. */
async function tfjsGrads(kind: CellKind, p: Problem): Promise<Result> {
  const G = GATES[kind];
  const lstm = kind === 'lstm';
  const wShapes: Record<keyof Weights, number[]> = { weight_ih: [G * H, X], weight_hh: [G * H, H], bias_ih: [G * H], bias_hh: [G * H] };
  const names = Object.keys(wShapes) as (keyof Weights)[];
  const args: Record<string, tf.Tensor> = { input: tf.tensor3d(p.x, [T, B, X]) };
  for (const n of names) args[n] = tf.tensor(p.weights[n], wShapes[n]);
  args.h0 = p.h0 ? tf.tensor2d(p.h0, [B, H]) : tf.zeros([B, H]);
  if (lstm) args.c0 = p.c0 ? tf.tensor2d(p.c0, [B, H]) : tf.zeros([B, H]);
  const keys = Object.keys(args);
  const rT = tf.tensor3d(p.r, [T, B, H]);
  let output: tf.Tensor | undefined;
  const forward = (...vals: tf.Tensor[]): tf.Scalar => {
    const v = Object.fromEntries(keys.map((k, i) => [k, vals[i]!])) as Record<string, tf.Tensor>;
    const w = Object.fromEntries(names.map((n) => [n, v[n]!])) as Record<keyof Weights, tf.Tensor>;
    let h = v.h0 as tf.Tensor2D;
    let c = v.c0 as tf.Tensor2D | undefined;
    const outs: tf.Tensor2D[] = [];
    for (const xt of tf.unstack(v.input!) as tf.Tensor2D[]) {
      [h, c] = stepTf(kind, w, xt, h, c);
      outs.push(h);
    }
    const out = tf.stack(outs);
    output = tf.keep(out.clone());
    let loss = tf.sum(tf.mul(out, rT));
    if (p.rh) loss = tf.add(loss, tf.sum(tf.mul(h, tf.tensor2d(p.rh, [B, H]))));
    if (p.rc) loss = tf.add(loss, tf.sum(tf.mul(c!, tf.tensor2d(p.rc, [B, H]))));
    return loss as tf.Scalar;
  };
  const grads = tf.grads(forward)(keys.map((k) => args[k]!));
  const result: Result = { output: (await output!.data()) as Float32Array, grads: {} };
  for (let i = 0; i < keys.length; i++) result.grads[keys[i]!] = (await grads[i]!.data()) as Float32Array;
  tf.dispose([...Object.values(args), ...grads, rT, output!]);
  return result;
}

/** cellforge: forward and backward of the built-in cell on the reference backend, same float32 weights. */
async function cellforgeGrads(kind: CellKind, p: Problem): Promise<Result> {
  const G = GATES[kind];
  const rnn = new RNN(builtinCell(kind), { inputSize: X, hiddenSize: H, numLayers: 1, bidirectional: false, backend: 'reference' });
  expect(rnn.parameters().map((q) => q.name).sort()).toEqual(['bias_hh_l0', 'bias_ih_l0', 'weight_hh_l0', 'weight_ih_l0']);
  rnn.loadStateDict({
    weight_ih_l0: tensor(p.weights.weight_ih, [G * H, X]),
    weight_hh_l0: tensor(p.weights.weight_hh, [G * H, H]),
    bias_ih_l0: tensor(p.weights.bias_ih, [G * H]),
    bias_hh_l0: tensor(p.weights.bias_hh, [G * H]),
  });
  const state = (d: Float32Array | undefined): Tensor | undefined => (d ? tensor(d, [1, B, H]) : undefined);
  const h0 = state(p.h0);
  const c0 = state(p.c0);
  const fwd = await rnn.forward(tensor(p.x, [T, B, X]), { ...(h0 ? { h0 } : {}), ...(c0 ? { c0 } : {}) });
  const gradHn = state(p.rh);
  const gradCn = state(p.rc);
  const bwd = await rnn.backward(tensor(p.r, [T, B, H]), { ...(gradHn ? { gradHn } : {}), ...(gradCn ? { gradCn } : {}) });
  const grads: Record<string, Float32Array | Float64Array> = { input: bwd.dInput.data, h0: bwd.dH0.data };
  for (const n of ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh']) grads[n] = bwd.grads[`${n}_l0`]!.data;
  if (kind === 'lstm') grads.c0 = bwd.dC0!.data;
  expect(bwd.dInput.shape).toEqual([T, B, X]);
  return { output: fwd.output.data, grads };
}

/** max |a − b| / max |b|. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

const cases: Case[] = (['lstm', 'gru'] as const).flatMap((kind, k) => [
  { name: `${kind}: zero initial states`, kind, initial: false, finalGrads: false, seed: 11 + k },
  { name: `${kind}: h0${kind === 'lstm' ? '/c0' : ''} given`, kind, initial: true, finalGrads: false, seed: 21 + k },
  { name: `${kind}: h0${kind === 'lstm' ? '/c0' : ''} given, loss also on h_n${kind === 'lstm' ? '/c_n' : ''}`, kind, initial: true, finalGrads: true, seed: 31 + k },
]);

describe(`tfjs autodiff oracle: T=${T} B=${B} X=${X} H=${H}, one layer`, () => {
  beforeAll(async () => {
    tf.env().set('IS_TEST', true); // no "install tfjs-node" banner
    expect(await tf.setBackend('cpu')).toBe(true);
    await tf.ready();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const p = problem(c);
    const ref = await tfjsGrads(c.kind, p);
    const got = await cellforgeGrads(c.kind, p);
    // The forward pass first: the same function, or the gradients cannot agree.
    expect(relError(got.output, ref.output)).toBeLessThan(1e-5);
    const compared = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'input', ...(c.initial ? ['h0', ...(c.kind === 'lstm' ? ['c0'] : [])] : [])];
    const errors = Object.fromEntries(compared.map((n) => [n, relError(got.grads[n]!, ref.grads[n]!)]));
    // Gradients that are all (near) zero would make the comparison vacuous.
    for (const n of compared) expect(Math.max(...Array.from(ref.grads[n]!, Math.abs)), n).toBeGreaterThan(1e-2);
    const summary = Object.entries(errors).map(([n, e]) => `${n} ${e.toExponential(2)}`).join(', ');
    expect(Object.fromEntries(Object.entries(errors).filter(([, e]) => !(e <= TOLERANCE))), `max |cellforge − tfjs| / max |tfjs|: ${summary}`).toEqual({});
  });
});
