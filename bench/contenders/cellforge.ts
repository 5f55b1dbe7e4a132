// cellforge through its public library interface: one contender per backend, plus compile times of the sample cells.
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { builtinCell, compileCell, RNN, tensor, type BackendName, type Tensor } from '../../index.js';
import { message, Skip, type Case, type Contender, type Mode, type Runner, type Workload } from '../cases.js';
import { median } from '../stats.js';

export type CellforgeBackend = Exclude<BackendName, 'auto'>;
export const fastBackends: readonly CellforgeBackend[] = ['js', 'wasm', 'webgpu'];

/**
 * The reference backend is the float64 oracle (an IR interpreter, slow on purpose): it runs S1 only (forward and
 * forward+backward, full T = 512, about 0.1 s and 0.5 s), never S2/S3 (which would take minutes per run).
 */
const referenceSizes = new Set(['S1']);

/** `threads`: the wasm backend's worker threads (cf-wasm-1t: none; cf-wasm: the default, one per core). */
export function cellforgeContender(backend: CellforgeBackend, threads?: number): Contender {
  let adapter: string | undefined;
  const submissions: Partial<Record<Mode, number>> = {};
  /** Runs `f` and records the queue submissions it made (GPU backends report them). */
  const counted = async (rnn: RNN, mode: Mode, f: () => Promise<void>) => {
    const before = rnn.backend.stats?.submissions;
    await f();
    const after = rnn.backend.stats?.submissions;
    if (before !== undefined && after !== undefined) submissions[mode] = after - before;
  };
  return {
    name: `cf-${backend}${threads !== undefined ? `-${threads}t` : ''}`,
    isCellforge: true,
    async init() {
      if (backend !== 'webgpu') return;
      // The webgpu backend asks for its device at the first run; ask here, so a machine without an adapter shows
      // the backend as n/a (with the reason) rather than as an error in every row.
      try {
        const { requestDevice } = await import('../../runtime/webgpu/device.js');
        const r = await requestDevice();
        if (!r.device) throw new Error(r.reason);
        adapter = r.adapterInfo;
      } catch (e) {
        if (e instanceof Error && /Cannot find module|ERR_MODULE_NOT_FOUND/.test(e.message)) return; // RNN will say
        throw e;
      }
    },
    describe: () => {
      const subs = Object.keys(submissions).length ? `; queue submissions per run: fwd ${submissions.fwd ?? '?'}, fwd+bwd ${submissions['fwd+bwd'] ?? '?'}` : '';
      const threadNote = backend === 'wasm' ? (threads !== undefined ? `, ${threads} thread${threads > 1 ? 's' : ''}` : ', one thread per core') : '';
      return `cellforge backend '${backend}'${adapter ? ` on ${adapter}` : ''}${threadNote} (library API: new RNN(builtinCell(cell), { backend${threads !== undefined ? ', threads' : ''} }))${subs}`;
    },
    unsupported(c: Case) {
      if (backend === 'reference' && !referenceSizes.has(c.size)) return 'reference (float64 interpreter) runs S1 only';
      return undefined;
    },
    async prepare(w: Workload, mode: Mode): Promise<Runner> {
      const { c } = w;
      let rnn: RNN;
      try {
        rnn = new RNN(builtinCell(c.cell), { inputSize: c.X, hiddenSize: c.H, backend, ...(threads !== undefined ? { threads } : {}) });
      } catch (e) {
        throw new Skip(message(e));
      }
      const dict: Record<string, Tensor> = {};
      for (const [name, t] of Object.entries(w.stateDict)) dict[name] = tensor(t.data, t.shape);
      rnn.loadStateDict(dict, 'bench weights');
      const x = tensor(w.x, [c.T, c.B, c.X]);
      const gradOut = tensor(w.gradOut, [c.T, c.B, c.H]);
      let last: ArrayLike<number> | undefined;
      if (mode === 'fwd') {
        rnn.eval(); // inference: nothing kept for a backward pass (as onnxruntime)
        return {
          async run() {
            await counted(rnn, mode, async () => {
              last = (await rnn.forward(x)).output.data;
            });
          },
          output: () => last,
          dispose: () => rnn.dispose(),
        };
      }
      rnn.train();
      return {
        async run() {
          await counted(rnn, mode, async () => {
            await rnn.forward(x);
            await rnn.backward(gradOut);
          });
        },
        dispose: () => rnn.dispose(),
      };
    },
  };
}

// ---------------------------------------------------------------- compile times

export interface CompileTime {
  cell: string;
  /** compileCell: frontend (ts-morph parse and lowering) and IR verification. */
  frontendMs: number;
  /** Deriving and verifying the backward step (done lazily on first use of `.backward`). */
  autodiffMs: number;
  /** emit('js'), when this cellforge has a JS code generator; else the reason. */
  emitJsMs?: number;
  emitJsNote?: string;
}

/**
 * Compile time of every sample cell with ts-morph warm: each cell is compiled once (a warm-up, which also warms
 * ts-morph), then `repeats` more times from a fresh source string (a trailing comment defeats the cache); medians.
 */
export function compileTimes(repeats = 3): CompileTime[] {
  const dir = fileURLToPath(new URL('../../samples/cells/', import.meta.url));
  const files = readdirSync(dir).filter((f) => f.endsWith('.cell.ts')).sort();
  const out: CompileTime[] = [];
  let serial = 0;
  const fresh = (source: string) => `${source}\n// bench ${process.pid} ${serial++}\n`;
  for (const file of files) {
    const source = readFileSync(dir + file, 'utf8');
    const warm = compileCell(fresh(source));
    void warm.backward;
    const fe: number[] = [];
    const ad: number[] = [];
    const js: number[] = [];
    let emitJsNote: string | undefined;
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const cell = compileCell(fresh(source));
      const t1 = performance.now();
      void cell.backward;
      const t2 = performance.now();
      fe.push(t1 - t0);
      ad.push(t2 - t1);
      if (emitJsNote === undefined) {
        try {
          cell.emit('js');
          js.push(performance.now() - t2);
        } catch (e) {
          emitJsNote = message(e);
        }
      }
    }
    out.push({
      cell: file.slice(0, -'.cell.ts'.length),
      frontendMs: median(fe),
      autodiffMs: median(ad),
      ...(js.length ? { emitJsMs: median(js) } : {}),
      ...(emitJsNote !== undefined ? { emitJsNote } : {}),
    });
  }
  return out;
}
