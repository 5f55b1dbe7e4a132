// brain.js: recurrent.LSTMTimeStep (inputSize 32, one hidden layer of 32, outputSize 32), batch 1, S1 only.
// Forward: net.run over the T-step sequence. Forward+backward: one net.train iteration on that sequence, which is
// forward (predicting step t+1 from step t, T-1 steps), BPTT and brain.js's weight update. brain.js also applies its
// 32×32 output layer at every step, and uses its own random weights (it cannot load PyTorch's layout).
import { createRequire } from 'node:module';
import { message, Skip, type Case, type Contender, type Mode, type Runner, type Workload } from '../cases.js';

interface TimeStepNet {
  run(input: number[][]): unknown;
  train(data: number[][][], options: Record<string, unknown>): { error: number; iterations: number };
}

interface BrainModule {
  recurrent: { LSTMTimeStep: new (options: Record<string, unknown>) => TimeStepNet };
}

let brain: BrainModule | undefined;
let brainVersion = '?';

export function brainContender(): Contender {
  return {
    name: 'brain.js',
    isCellforge: false,
    async init() {
      try {
        const mod = (await import('brain.js')) as unknown as { default?: BrainModule } & BrainModule;
        brain = mod.default ?? mod;
        brainVersion = (createRequire(import.meta.url)('brain.js/package.json') as { version: string }).version;
      } catch (e) {
        throw new Error(`brain.js: not installable here: ${message(e)}`);
      }
    },
    describe: () => `brain.js ${brainVersion} recurrent.LSTMTimeStep (plain JS, batch 1, own weights, includes a 32×32 output layer per step)`,
    unsupported(c: Case) {
      if (c.cell !== 'lstm' || c.size !== 'S1') return 'brain.js runs LSTM S1 only (batch 1)';
      return undefined;
    },
    async prepare(w: Workload, mode: Mode): Promise<Runner> {
      const { c } = w;
      if (!brain) throw new Skip('brain.js not loaded');
      const net = new brain.recurrent.LSTMTimeStep({ inputSize: c.X, hiddenLayers: [c.H], outputSize: c.X });
      const seq: number[][] = [];
      for (let t = 0; t < c.T; t++) seq.push(Array.from(w.x.subarray(t * c.X, (t + 1) * c.X)));
      // One training iteration also initialises the net (run() needs a trained model).
      try {
        net.train([seq], { iterations: 1, errorThresh: 0, log: false });
      } catch (e) {
        throw new Skip(message(e));
      }
      if (mode === 'fwd') {
        return {
          async run() {
            net.run(seq);
          },
        };
      }
      return {
        async run() {
          net.train([seq], { iterations: 1, errorThresh: 0, log: false });
        },
      };
    },
  };
}
