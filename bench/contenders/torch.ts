// PyTorch as a contender, through a Python child process (bench/torch_runner.py) on the same weights and inputs:
// `torch` is nn.LSTM / nn.GRU, `torch-custom` the same cell (and MGU, which PyTorch has no layer for) written as a
// TorchScript module. The Python is $CELLFORGE_PYTHON, else the first of python3 / /usr/bin/python3 with torch.
// Runs are timed inside Python, so the pipe's round trip is not counted.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { message, Skip, type Case, type Contender, type Mode, type Runner, type Workload } from '../cases.js';

/** A Python that imports torch, or why there is none. */
export function findTorchPython(): { python: string } | { reason: string } {
  const candidates = process.env.CELLFORGE_PYTHON ? [process.env.CELLFORGE_PYTHON] : ['python3', '/usr/bin/python3'];
  for (const python of candidates) {
    const r = spawnSync(python, ['-c', 'import torch, numpy'], { stdio: 'ignore', timeout: 60_000 });
    if (r.status === 0) return { python };
  }
  return { reason: `no Python with torch and numpy (tried ${candidates.join(', ')}; set CELLFORGE_PYTHON)` };
}

/** The user's own OpenMP wait policy, read before the native backend sets its default. */
const userWaitPolicy = process.env.OMP_WAIT_POLICY;

interface Reply {
  ok?: boolean;
  ms?: number;
  error?: string;
  torch?: string;
  threads?: number;
}

/** The child process: one request at a time, one reply line each. */
export class TorchProcess {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly waiting: ((r: Reply) => void)[] = [];

  constructor(python: string) {
    const script = fileURLToPath(new URL('../torch_runner.py', import.meta.url));
    // PyTorch runs under its own default OpenMP wait policy (spinning), not the one the native backend sets for
    // itself in this process (runtime/native/library.ts), unless the user chose one; CELLFORGE_TORCH_OMP_WAIT
    // overrides it for the child alone (PASSIVE helps it a lot on a loaded machine, costs it on a quiet one).
    const env = { ...process.env };
    if (userWaitPolicy === undefined) delete env.OMP_WAIT_POLICY;
    else env.OMP_WAIT_POLICY = userWaitPolicy;
    if (process.env.CELLFORGE_TORCH_OMP_WAIT) env.OMP_WAIT_POLICY = process.env.CELLFORGE_TORCH_OMP_WAIT;
    this.child = spawn(python, [script], { stdio: ['pipe', 'pipe', 'pipe'], env });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.waiting.shift()?.(JSON.parse(line) as Reply));
    this.child.stderr.resume();
    this.child.on('exit', () => {
      for (const w of this.waiting.splice(0)) w({ error: 'the Python process exited' });
    });
  }

  async ask(request: Record<string, unknown>): Promise<Reply> {
    const reply = new Promise<Reply>((resolve) => this.waiting.push(resolve));
    this.child.stdin.write(`${JSON.stringify(request)}\n`);
    const r = await reply;
    if (r.error) throw new Error(`torch: ${r.error}`);
    return r;
  }

  stop(): void {
    this.child.stdin.end();
  }
}

let shared: { process: TorchProcess; version: string } | undefined;
let nextId = 1;

export function torchContender(impl: 'builtin' | 'custom', threads = 2): Contender {
  return {
    name: impl === 'builtin' ? 'torch' : 'torch-custom',
    isCellforge: false,
    async init() {
      await torchProcess();
    },
    describe: () =>
      `${shared?.version ?? 'PyTorch'}, ${threads} threads, ${impl === 'builtin' ? 'nn.LSTM / nn.GRU' : 'the cell as a TorchScript module (input projection hoisted, time loop in TorchScript)'}; timed in the Python process`,
    unsupported(c: Case) {
      if (impl === 'builtin' && c.cell === 'mgu') return 'PyTorch has no built-in MGU layer';
      return undefined;
    },
    async prepare(w: Workload, mode: Mode): Promise<Runner> {
      const { c } = w;
      const files = { x: w.x, gout: w.gradOut, ...Object.fromEntries(Object.entries(w.stateDict).map(([name, t]) => [name, t.data])) };
      return torchRunner(shared!.process, { cell: c.cell, impl, mode, B: c.B, X: c.X, H: c.H, T: c.T, threads }, files);
    },
  };
}

/** The shared Python process (started on first use), or an error saying why there is none. */
export async function torchProcess(): Promise<{ process: TorchProcess; version: string }> {
  if (!shared) {
    const found = findTorchPython();
    if ('reason' in found) throw new Error(found.reason);
    const process = new TorchProcess(found.python);
    const v = await process.ask({ op: 'version' });
    shared = { process, version: `PyTorch ${v.torch} (${found.python})` };
  }
  return shared;
}

/** Writes `files` (x, gout and the parameters, float32) for the Python side, prepares a model there, and returns
 * the runner that times it in Python. */
export async function torchRunner(proc: TorchProcess, request: Record<string, unknown> & { mode: Mode }, files: Record<string, Float32Array>): Promise<Runner> {
  const dir = mkdtempSync(join(tmpdir(), 'cellforge-torch-'));
  const id = nextId++;
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, `${name}.f32`), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    await proc.ask({ op: 'prepare', id, ...request, dir });
    const bytes = readFileSync(join(dir, `out-${id}.f32`));
    const out = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    return {
      async run() {
        await proc.ask({ op: 'run', id, reps: 1 });
      },
      async runTimed(reps: number) {
        return (await proc.ask({ op: 'run', id, reps })).ms!;
      },
      output: () => (request.mode === 'fwd' ? out : undefined),
      dispose: async () => {
        await proc.ask({ op: 'dispose', id });
      },
    };
  } catch (e) {
    throw new Skip(message(e));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ends the Python process (at the end of the benchmark). */
export function stopTorch(): void {
  shared?.process.stop();
  shared = undefined;
}
