// onnxruntime-node: a model with one LSTM / GRU node (GRU with linear_before_reset = 1, PyTorch's form), built by the
// test oracle's hand-written ONNX encoder (test/oracle/onnx-model.ts). Inference only: no forward+backward.
import * as ort from 'onnxruntime-node';
import { recurrentModel } from '../../test/oracle/onnx-model.js';
import { message, Skip, type Case, type Contender, type Mode, type Runner, type Workload } from '../cases.js';

const models = new Map<string, Promise<Uint8Array>>();

function modelFor(w: Workload): Promise<Uint8Array> {
  const { c } = w;
  const key = `${c.id} T${c.T}`;
  let m = models.get(key);
  if (!m) {
    m = Promise.resolve(recurrentModel({ kind: c.cell as 'lstm' | 'gru', stateDict: w.stateDict, steps: c.T, batch: c.B, inputSize: c.X, hiddenSize: c.H, numLayers: 1, bidirectional: false }));
    models.set(key, m);
  }
  return m;
}

/** Forget the encoded models of a finished case. */
export function releaseOrtModels(): void {
  models.clear();
}

export function ortContender(threads: number): Contender {
  return {
    name: `ort-${threads}t`,
    isCellforge: false,
    async init() {
      // touching the binding loads the native library; a failure marks the contender n/a
      void ort.InferenceSession;
    },
    describe: () => `onnxruntime-node ${ort.env.versions.node ?? '?'}, CPU EP, intraOpNumThreads ${threads}, interOpNumThreads 1, sequential, graph optimisation 'all'`,
    unsupported(c: Case, mode: Mode) {
      if (c.cell === 'mgu') return 'ONNX has no MGU operator';
      return mode === 'fwd' ? undefined : 'onnxruntime-node is inference only (no training API)';
    },
    async prepare(w: Workload): Promise<Runner> {
      const { c } = w;
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(await modelFor(w), {
          intraOpNumThreads: threads,
          interOpNumThreads: 1,
          executionMode: 'sequential',
          graphOptimizationLevel: 'all',
          logSeverityLevel: 3,
        });
      } catch (e) {
        throw new Skip(message(e));
      }
      const feeds = { X: new ort.Tensor('float32', w.x, [c.T, c.B, c.X]) };
      let last: ArrayLike<number> | undefined;
      return {
        async run() {
          const out = await session.run(feeds);
          last = out.output!.data as Float32Array;
        },
        output: () => last,
        dispose: () => session.release(),
      };
    },
  };
}
