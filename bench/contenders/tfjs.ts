// TensorFlow.js (tfjs-core ops) on its 'wasm' and 'cpu' backends. The LSTM / GRU is written the fair fast way: the
// input projection of all T·B rows is one matMul before the loop, then per step one matMul with the recurrent
// weights and the gate math. Forward runs in tf.tidy; forward+backward is tf.grads of sum(output · R) for a fixed
// random R, with respect to the input and all four parameters (as cellforge's backward returns).
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { getThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';

// tfjs-core's Node bundle (dist/tf-core.node.js) ships without the gradient functions (the @tensorflow/tfjs umbrella
// registers them). They are in the package's ES module build; required here (tsx turns it into CommonJS), it
// registers every gradient into tfjs's global registry, which the Node bundle's engine shares.
createRequire(import.meta.url)('@tensorflow/tfjs-core/dist/register_all_gradients.js');
import { message, Skip, type Case, type CellKind, type Contender, type Mode, type Runner, type Workload } from '../cases.js';

export type TfjsBackend = 'wasm' | 'cpu' | 'webgpu';

let wasmPathsSet = false;

/** tfjs-backend-webgpu finds the GPU through navigator.gpu: in Node, give it a Dawn instance of its own. */
async function loadWebgpu(): Promise<void> {
  const nav = ((globalThis as { navigator?: { gpu?: unknown } }).navigator ??= {} as { gpu?: unknown });
  if (!nav.gpu) {
    const dawn = (await import('webgpu' as string)) as { create(flags: string[]): unknown; globals: object };
    for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true });
    nav.gpu = dawn.create([]);
  }
  await import('@tensorflow/tfjs-backend-webgpu');
}

/** The tfjs-core version, from its package.json. */
function version(): string {
  try {
    const require = createRequire(import.meta.url);
    return (require('@tensorflow/tfjs-core/package.json') as { version: string }).version;
  } catch {
    return '?';
  }
}

async function use(backend: TfjsBackend): Promise<void> {
  if (tf.getBackend() !== backend && !(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
}

/** One layer, one direction, zero initial state: x [T, B, X] -> output [T, B, H]. Weights are pre-transposed. */
function forward(cell: CellKind, x: tf.Tensor, wihT: tf.Tensor, whhT: tf.Tensor, bih: tf.Tensor, bhh: tf.Tensor, c: Case): tf.Tensor {
  const { T, B, X, H } = c;
  const x2 = tf.reshape(x, [T * B, X]);
  // LSTM: both biases go into the hoisted projection; GRU (reset after): b_hh stays with the recurrent product.
  const xp = tf.add(tf.matMul(x2, wihT), cell === 'lstm' ? tf.add(bih, bhh) : bih);
  const steps = tf.split(xp, T, 0); // T × [B, G·H]
  let h: tf.Tensor = tf.zeros([B, H]);
  let s: tf.Tensor = tf.zeros([B, H]);
  const outs: tf.Tensor[] = [];
  for (let t = 0; t < T; t++) {
    if (cell === 'lstm') {
      const [i, f, g, o] = tf.split(tf.add(steps[t]!, tf.matMul(h, whhT)), 4, 1);
      s = tf.add(tf.mul(tf.sigmoid(f!), s), tf.mul(tf.sigmoid(i!), tf.tanh(g!)));
      h = tf.mul(tf.sigmoid(o!), tf.tanh(s));
    } else {
      const [xr, xz, xn] = tf.split(steps[t]!, 3, 1);
      const [hr, hz, hn] = tf.split(tf.add(tf.matMul(h, whhT), bhh), 3, 1);
      const r = tf.sigmoid(tf.add(xr!, hr!));
      const z = tf.sigmoid(tf.add(xz!, hz!));
      const n = tf.tanh(tf.add(xn!, tf.mul(r, hn!)));
      h = tf.add(n, tf.mul(z, tf.sub(h, n))); // (1 - z) · n + z · h
    }
    outs.push(h);
  }
  return tf.stack(outs); // [T, B, H]
}

export function tfjsContender(backend: TfjsBackend): Contender {
  let detail = '';
  return {
    name: `tfjs-${backend}`,
    isCellforge: false,
    async init() {
      tf.enableProdMode(); // no debug checks, no "install tfjs-node" banner
      if (backend === 'wasm' && !wasmPathsSet) {
        // Node: the .wasm files are read from disk, so a file-system directory (with the trailing slash) works.
        const require = createRequire(import.meta.url);
        setWasmPaths(`${dirname(require.resolve('@tensorflow/tfjs-backend-wasm'))}/`);
        wasmPathsSet = true;
      }
      if (backend === 'webgpu') await loadWebgpu();
      await use(backend);
      await tf.ready();
      if (backend === 'webgpu') {
        detail = 'WGSL kernels on the same Dawn adapter as cellforge webgpu';
      } else if (backend === 'wasm') {
        const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
        const threads = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
        detail = `SIMD ${simd ? 'on' : 'off'}, threads ${threads ? `on (${getThreadsCount()})` : 'off (tfjs disables wasm threads in Node)'}`;
      } else {
        detail = 'plain JavaScript kernels, single thread';
      }
    },
    describe: () => `tfjs-core ${version()} backend '${backend}': ${detail}; hoisted input matMul, per-step matMul + gate ops`,
    unsupported: (c: Case) => (c.cell === 'mgu' ? 'tfjs has no MGU layer (this benchmark runs its LSTM/GRU formulas)' : undefined),
    async prepare(w: Workload, mode: Mode): Promise<Runner> {
      const { c } = w;
      const sd = w.stateDict;
      try {
        await use(backend);
      } catch (e) {
        throw new Skip(message(e));
      }
      const GH = sd.weight_ih_l0!.shape[0]!;
      const x = tf.tensor3d(w.x, [c.T, c.B, c.X]);
      const wihT = tf.tidy(() => tf.transpose(tf.tensor2d(sd.weight_ih_l0!.data, [GH, c.X])));
      const whhT = tf.tidy(() => tf.transpose(tf.tensor2d(sd.weight_hh_l0!.data, [GH, c.H])));
      const bih = tf.tensor1d(sd.bias_ih_l0!.data);
      const bhh = tf.tensor1d(sd.bias_hh_l0!.data);
      const R = tf.tensor3d(w.gradOut, [c.T, c.B, c.H]);
      const held = [x, wihT, whhT, bih, bhh, R];
      const dispose = () => held.forEach((t) => t.dispose());
      const before = () => use(backend);
      let last: ArrayLike<number> | undefined;
      if (mode === 'fwd') {
        return {
          before,
          async run() {
            const out = tf.tidy(() => forward(c.cell, x, wihT, whhT, bih, bhh, c));
            last = await out.data();
            out.dispose();
          },
          output: () => last,
          dispose,
        };
      }
      const grad = tf.grads((...args: tf.Tensor[]) => {
        const [xx, a, b, bi, bh] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf.sum(tf.mul(forward(c.cell, xx, a, b, bi, bh, c), R));
      });
      return {
        before,
        async run() {
          const gs = tf.tidy(() => grad([x, wihT, whhT, bih, bhh]));
          for (const g of gs) await g.data();
          gs.forEach((g) => g.dispose());
        },
        dispose,
      };
    },
  };
}
