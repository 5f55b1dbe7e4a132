// Where every tensor of one (layer, direction) run of the native library lives: numbered regions in one of two
// float blocks the runtime owns. `weights`: the parameters as float32 and packed for the products, kept while
// the parameters are unchanged; `run`: everything sized by B and T (states, the tape, scratch); `io`: the input,
// the output and their gradients, in the caller's own arrays. The C code reads region k at (its block) +
// offsets[k], an io region at its pointer; packed sizes depend on the library's panel width NR.
import type { CompiledCell } from '../../compiled-cell.js';
import type { Dims } from '../../../ir/shape.js';
import type { StepPlan } from '../../plan/step-plan.js';
import { RegionTable, runRegions, type RegionSize } from '../shared/regions.js';

/** `io`: the caller's own arrays (input, output and their gradients), passed to each call, not copied. */
export type Block = 'weights' | 'run' | 'io';

/** The io regions: the entry points take a pointer for each, in this order. */
export const IO_REGIONS = ['X', 'OUT', 'GOUT', 'DX'] as const;

export interface CRegion {
  readonly name: string;
  readonly block: Block;
  /** Size in 4-byte elements for batch B, T steps and panel width NR. */
  readonly size: (B: number, T: number, NR: number) => number;
}

/** Floats of a [K, N] matrix packed in panels of NR columns (zero-padded). */
export const packedFloats = (K: number, N: number, NR: number): number => Math.ceil(N / NR) * NR * K;

export class CLayout extends RegionTable<CRegion> {
  add(name: string, block: Block, size: CRegion['size']): void {
    this.addRegion({ name, block, size });
  }

  /** Offsets (in floats, 16-float aligned) of every region within its block, and each block's size. */
  place(B: number, T: number, NR: number): { offsets: Float64Array; weights: number; run: number } {
    const end = { weights: 0, run: 0 };
    const offsets = new Float64Array(this.regions.length);
    this.regions.forEach((r, k) => {
      if (r.block === 'io') return;
      offsets[k] = end[r.block];
      end[r.block] += Math.ceil(r.size(B, T, NR) / 16) * 16;
    });
    return { offsets, weights: end.weights, run: end.run };
  }
}

export interface CRunLayout {
  readonly layout: CLayout;
  readonly forwardPlan: StepPlan;
  readonly backwardPlan: StepPlan;
}

export function cRunLayout(cell: CompiledCell, dims: Dims): CRunLayout {
  const L = new CLayout();
  const size = (r: RegionSize): CRegion['size'] => {
    if ('fixed' in r) return () => r.fixed;
    if ('perExample' in r) return (B) => B * r.perExample;
    if ('perRow' in r) return (B, T) => T * B * r.perRow;
    return (B, T, NR) => packedFloats(r.packed.K ?? T * B, r.packed.N, NR);
  };
  const { forwardPlan, backwardPlan } = runRegions(cell, dims, { add: (name, r, weight) => L.add(name, weight ? 'weights' : (IO_REGIONS as readonly string[]).includes(name) ? 'io' : 'run', size(r)), alias: (name, existing) => L.alias(name, existing) }, { transposedOuter: false });
  // A forward split by units writes each step's new states here, and swaps the two (program.ts).
  cell.states.forEach((_, k) => L.add(`SN${k}`, 'run', (B) => B * dims.H));
  return { layout: L, forwardPlan, backwardPlan };
}
