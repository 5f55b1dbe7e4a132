// The WebGPU backend keeps every tensor of a run in one f32 storage buffer, the arena: one binding per kernel,
// whatever the number of tensors, and offsets known when the kernels are generated.
import { invariant } from '../../../ir/errors.js';

export class Arena {
  private readonly regions = new Map<string, { offset: number; size: number; index: number }>();
  private count = 0;
  private end = 0;

  /** Reserve `size` floats under `name` (16-byte aligned, so copies and writes line up). */
  add(name: string, size: number): number {
    invariant(!this.regions.has(name), `arena region ${name} reserved twice`);
    const offset = this.end;
    this.regions.set(name, { offset, size, index: this.count++ });
    this.end = offset + Math.ceil(Math.max(size, 1) / 4) * 4;
    return offset;
  }

  alias(name: string, existing: string): void {
    this.regions.set(name, this.region(existing));
  }

  /** Region names (aliases included), in the order they were reserved. */
  names(): string[] {
    return [...this.regions.keys()];
  }

  has(name: string): boolean {
    return this.regions.has(name);
  }

  /** The region's number, in the order regions were reserved: the same for any B and T. */
  index(name: string): number {
    return this.region(name).index;
  }

  /** Every region's offset, by number. */
  offsets(): number[] {
    const out: number[] = [];
    for (const r of this.regions.values()) out[r.index] = r.offset;
    return out;
  }

  region(name: string): { offset: number; size: number; index: number } {
    const r = this.regions.get(name);
    invariant(r, `no arena region ${name}`);
    return r;
  }

  offset(name: string): number {
    return this.region(name).offset;
  }

  /** Total floats. */
  get size(): number {
    return this.end;
  }
}
