// Where every tensor of one (layer, direction) run sits in WebAssembly memory: a list of regions whose sizes
// depend on B and T. The module's code is independent of B and T: it reads each region's byte address from a
// table at the start of the run's block (region k at table + 4k), which the runtime fills per run.
import type { CompiledCell } from '../../compiled-cell.js';
import type { Dims } from '../../../ir/shape.js';
import type { StepPlan } from '../../plan/step-plan.js';
import { RegionTable, runRegions, type RegionSize } from '../shared/regions.js';
import { packedFloats } from './gemm.js';

export interface Region {
  readonly name: string;
  /** Size in 4-byte elements (floats or i32s) for a batch B and T steps. */
  readonly size: (B: number, T: number) => number;
}

export class WasmLayout extends RegionTable<Region> {
  add(name: string, size: (B: number, T: number) => number): void {
    this.addRegion({ name, size });
  }

  /** Byte offsets of every region from the block start (the table comes first), and the block's size. */
  place(B: number, T: number): { offsets: number[]; bytes: number } {
    let end = align(this.regions.length * 4);
    const offsets = this.regions.map((r) => {
      const at = end;
      end = align(end + r.size(B, T) * 4);
      return at;
    });
    return { offsets, bytes: end };
  }
}

// 64 bytes: a cache line, and more than the 16 a v128 load wants.
const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

export interface RunLayout {
  readonly layout: WasmLayout;
  readonly forwardPlan: StepPlan;
  readonly backwardPlan: StepPlan;
  /** Parameters the forward step multiplies by as `matvec_t` (packed W, region WT<i>); the other WT regions only
   *  serve a backward pass. */
  readonly packedTForward: ReadonlySet<number>;
}

const sizeFn = (size: RegionSize): ((B: number, T: number) => number) => {
  if ('fixed' in size) return () => size.fixed;
  if ('perExample' in size) return (B) => B * size.perExample;
  if ('perRow' in size) return (B, T) => T * B * size.perRow;
  return (B, T) => packedFloats(size.packed.K ?? T * B, size.packed.N);
};

export function runLayout(cell: CompiledCell, dims: Dims): RunLayout {
  const L = new WasmLayout();
  const plans = runRegions(cell, dims, { add: (name, size) => L.add(name, sizeFn(size)), alias: (name, existing) => L.alias(name, existing) }, { transposedOuter: true });
  return { layout: L, ...plans };
}
