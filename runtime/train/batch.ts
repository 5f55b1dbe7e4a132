// Examples and batches: a task's data, padded and laid out time-major for the RNN.
import { invariant } from '../../ir/errors.js';

/** One sequence. `input` holds `length` token ids, or `length × features` values (row per step). */
export interface Example {
  readonly length: number;
  readonly tokens?: Int32Array;
  readonly features?: Float64Array;
  /** Class ids: one (readout 'last') or one per step. Negative ids are ignored by the loss. */
  readonly classes?: Int32Array;
  /** Regression targets: `outputs` values (readout 'last') or `length × outputs` (per step). */
  readonly values?: Float64Array;
  /** Per-step loss weight (readout 'steps'); default 1 on every valid step. */
  readonly mask?: Float64Array;
}

/** A padded batch, time-major: [T, B] tokens or [T, B, X] features, targets to match. */
export interface Batch {
  readonly steps: number;
  readonly batch: number;
  readonly lengths: Int32Array;
  /** [T*B], -1 on padding. */
  readonly tokens?: Int32Array;
  /** [T*B*X], zero on padding. */
  readonly features?: Float64Array;
  /** 'last': [B]; 'steps': [T*B] with -1 on padding. */
  readonly classes?: Int32Array;
  /** 'last': [B*O]; 'steps': [T*B*O]. */
  readonly values?: Float64Array;
  /** 'steps' only: [T*B] loss weights, zero on padding. */
  readonly mask?: Float64Array;
}

export type Readout = 'last' | 'steps';

export function collate(examples: readonly Example[], readout: Readout, featureSize: number, outputs: number): Batch {
  const B = examples.length;
  invariant(B > 0, 'collate: empty batch');
  const T = Math.max(...examples.map((e) => e.length));
  const lengths = Int32Array.from(examples, (e) => e.length);
  const first = examples[0]!;
  const tokens = first.tokens ? new Int32Array(T * B).fill(-1) : undefined;
  const features = first.features ? new Float64Array(T * B * featureSize) : undefined;
  const perStep = readout === 'steps';
  const classes = first.classes ? new Int32Array(perStep ? T * B : B).fill(-1) : undefined;
  const values = first.values ? new Float64Array((perStep ? T * B : B) * outputs) : undefined;
  const mask = perStep ? new Float64Array(T * B) : undefined;
  examples.forEach((e, b) => {
    for (let t = 0; t < e.length; t++) {
      const row = t * B + b;
      if (tokens) tokens[row] = e.tokens![t]!;
      if (features) features.set(e.features!.subarray(t * featureSize, (t + 1) * featureSize), row * featureSize);
      if (perStep) {
        if (classes) classes[row] = e.classes![t]!;
        if (values) values.set(e.values!.subarray(t * outputs, (t + 1) * outputs), row * outputs);
        mask![row] = e.mask ? e.mask[t]! : 1;
      }
    }
    if (!perStep) {
      if (classes) classes[b] = e.classes![0]!;
      if (values) values.set(e.values!.subarray(0, outputs), b * outputs);
    }
  });
  return {
    steps: T,
    batch: B,
    lengths,
    ...(tokens ? { tokens } : {}),
    ...(features ? { features } : {}),
    ...(classes ? { classes } : {}),
    ...(values ? { values } : {}),
    ...(mask ? { mask } : {}),
  };
}
