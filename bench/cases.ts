// Benchmark cases (cell × size × mode), their FLOP counts, the shared random workload, and the contender interface.
import { Random } from '../runtime/random.js';

/** mgu: the minimal gated unit (samples/cells/mgu.cell.ts), a cell no framework has built in. */
export type CellKind = 'lstm' | 'gru' | 'mgu';
export type SizeName = 'S1' | 'RM' | 'PM' | 'S2' | 'S3';
export type Mode = 'fwd' | 'fwd+bwd';
export const modes: readonly Mode[] = ['fwd', 'fwd+bwd'];

export interface Dims {
  readonly B: number;
  readonly X: number;
  readonly H: number;
  readonly T: number;
}

export const sizes: Readonly<Record<SizeName, Dims>> = {
  S1: { B: 1, X: 32, H: 32, T: 512 },
  /** Row MNIST: 28 rows of 28 pixels. */
  RM: { B: 64, X: 28, H: 128, T: 28 },
  /** Pixel MNIST: 784 steps of one pixel. */
  PM: { B: 64, X: 1, H: 128, T: 784 },
  S2: { B: 32, X: 128, H: 256, T: 64 },
  S3: { B: 64, X: 512, H: 512, T: 32 },
};

export interface Case extends Dims {
  /** `lstm-S1`, as accepted by --cases. */
  readonly id: string;
  readonly cell: CellKind;
  readonly size: SizeName;
}

/** Stacked gates per cell: LSTM i,f,g,o; GRU r,z,n; MGU f,n. */
export const gates = (cell: CellKind): number => (cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 2);

/** --quick shrinks T (S1 512 -> 32, RM 28 -> 2, PM 784 -> 49, S2 64 -> 4, S3 32 -> 2) so that one round of everything takes seconds. */
export const quickSteps = (T: number): number => Math.max(2, Math.floor(T / 16));

export function allCases(quick: boolean): Case[] {
  const out: Case[] = [];
  for (const cell of ['lstm', 'gru', 'mgu'] as const) {
    for (const size of ['S1', 'RM', 'PM', 'S2', 'S3'] as const) {
      const d = sizes[size];
      out.push({ id: `${cell}-${size}`, cell, size, ...d, T: quick ? quickSteps(d.T) : d.T });
    }
  }
  return out;
}

export const FLOP_NOTE =
  'FLOPs count only the matrix products: forward = T·2·B·G·H·(X+H) (G = 4 for LSTM, 3 for GRU; input and recurrent ' +
  'projections, biases and gate math not counted; MGU: T·2·B·2H·(X+H), its two half-size recurrent products); ' +
  'forward+backward = 3 × forward.';

export function flops(c: Case, mode: Mode): number {
  const fwd = c.T * 2 * c.B * gates(c.cell) * c.H * (c.X + c.H);
  return mode === 'fwd' ? fwd : 3 * fwd;
}

// ---------------------------------------------------------------- the shared workload

/** A seeded stream of uniforms in [0, 1) (cellforge's counter-based PRNG). */
function rng(seed: number): () => number {
  const r = new Random(seed);
  return () => r.next();
}

function uniform(n: number, scale: number, next: () => number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (2 * next() - 1) * scale;
  return out;
}

export interface PtTensor {
  readonly data: Float32Array;
  readonly shape: number[];
}

export interface Workload {
  readonly c: Case;
  /** [T, B, X], time-major. */
  readonly x: Float32Array;
  /** [T, B, H]: the fixed random tensor the outputs are multiplied by (the gradient of sum(output · R)). */
  readonly gradOut: Float32Array;
  /** PyTorch layout and names (weight_ih_l0 [G·H, X], weight_hh_l0 [G·H, H], bias_ih_l0, bias_hh_l0 [G·H]). */
  readonly stateDict: Readonly<Record<string, PtTensor>>;
}

export function makeWorkload(c: Case): Workload {
  const next = rng(0xce11f0 + c.B * 131 + c.X * 17 + c.H * 7 + c.T + (c.cell === 'lstm' ? 1 : 2));
  const GH = gates(c.cell) * c.H;
  const k = 1 / Math.sqrt(c.H); // PyTorch's init range
  return {
    c,
    x: uniform(c.T * c.B * c.X, 1, next),
    gradOut: uniform(c.T * c.B * c.H, 1, next),
    stateDict: {
      weight_ih_l0: { data: uniform(GH * c.X, k, next), shape: [GH, c.X] },
      weight_hh_l0: { data: uniform(GH * c.H, k, next), shape: [GH, c.H] },
      bias_ih_l0: { data: uniform(GH, k, next), shape: [GH] },
      bias_hh_l0: { data: uniform(GH, k, next), shape: [GH] },
    },
  };
}

// ---------------------------------------------------------------- contenders

/** One prepared (case, mode) of one contender: everything allocated, ready to be timed. */
export interface Runner {
  /** Untimed, just before each run (tfjs: switch to this contender's backend). */
  before?(): Promise<void> | void;
  /** One timed run: forward (and backward), results downloaded to the host. */
  run(): Promise<void>;
  /** A contender that times itself (a child process: the pipe's round trip not counted): mean ms of `reps` runs. */
  runTimed?(reps: number): Promise<number>;
  /** The forward output [T, B, H] of the last run, for the agreement check (forward mode). */
  output?(): ArrayLike<number> | undefined;
  dispose?(): Promise<void> | void;
}

/** Thrown by prepare() for a combination a contender cannot run: the table shows `n/a` with the reason. */
export class Skip extends Error {}

export interface Contender {
  /** Column name: `cf-js`, `ort-1t`, `tfjs-wasm`, ... */
  readonly name: string;
  readonly isCellforge: boolean;
  /** Loads the library; a thrown error (or returned reason) marks the contender n/a everywhere. */
  init(): Promise<void>;
  /** What it is (versions, threads, SIMD): one line for the machine section. */
  describe(): string;
  /** A reason when this contender does not run the combination at all, else undefined. */
  unsupported(c: Case, mode: Mode): string | undefined;
  prepare(w: Workload, mode: Mode): Promise<Runner>;
}

export function message(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.split('\n')[0]!.trim();
}
