/// <reference types="@webgpu/types" />
// The `webgpu` backend: the compiler's WGSL programs, every step of a sequence in one command submission.
// Nothing here is Node-specific: the device comes from ./device.ts (navigator.gpu in a page, Dawn in Node).
import type { CompiledCell } from '../../compiler/compile.js';
import { CellforgeError } from '../../ir/errors.js';
import { SITE_INTS } from '../../compiler/codegen/wgsl/kernel.js';
import { wgslProgram, type Dispatch, type WgslProgram } from '../../compiler/codegen/wgsl/program.js';
import type { DirectionGrads, DirectionResult, DirectionRun, Floats, SequenceBackend } from '../backend.js';

const UNIFORM_STRIDE = 256; // minUniformBufferOffsetAlignment
const SITE_BYTES = SITE_INTS * 4;

interface GpuTape {
  readonly key: string;
  readonly program: WgslProgram;
  readonly arena: GPUBuffer;
  readonly uniforms: GPUBuffer;
  readonly sites: GPUBuffer;
  readonly bindGroup: GPUBindGroup;
}

export interface WebGpuStats {
  /** Queue submissions so far: one per forward and one per backward of each (layer, direction). */
  submissions: number;
  dispatches: number;
}

export function webgpuBackend(cell: CompiledCell, device: GPUDevice): SequenceBackend & { stats: WebGpuStats } {
  const layout = device.createBindGroupLayout({
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
      { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: 16 } },
      { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: SITE_BYTES } },
    ],
  });
  const pipelineLayout = device.createPipelineLayout({ bindGroupLayouts: [layout] });
  const pipelines = new Map<string, GPUComputePipeline>();
  const programs = new Map<string, WgslProgram>();
  const live = new Set<GPUBuffer>();
  const stats: WebGpuStats = { submissions: 0, dispatches: 0 };

  const pipeline = (source: string): GPUComputePipeline => {
    let p = pipelines.get(source);
    if (!p) {
      p = device.createComputePipeline({ layout: pipelineLayout, compute: { module: device.createShaderModule({ code: source }), entryPoint: 'main' } });
      pipelines.set(source, p);
    }
    return p;
  };

  const programFor = (run: DirectionRun): WgslProgram => {
    const key = `${run.dims.X}x${run.dims.H}x${run.batch}x${run.steps}`;
    let p = programs.get(key);
    if (!p) programs.set(key, (p = wgslProgram(cell, run.dims, run.batch, run.steps)));
    return p;
  };

  const buffer = (size: number, usage: number): GPUBuffer => {
    const b = device.createBuffer({ size, usage });
    live.add(b);
    return b;
  };
  const destroy = (b: GPUBuffer) => {
    live.delete(b);
    b.destroy();
  };

  // Buffers and bind groups of a run are kept for the next run of the same shape and direction (a training loop
  // reuses them every iteration); the regions a run reads before writing are cleared inside its own submission.
  const pool = new Map<string, GpuTape[]>();
  const poolKey = (run: DirectionRun) => `${run.dims.X}x${run.dims.H}x${run.batch}x${run.steps}|${run.reverse}|${run.truncate ?? 0}`;
  // Training tapes wait for the backward pass; a new sequence makes the previous ones dead.
  const outstanding = new Set<GpuTape>();
  const release = (tape: GpuTape) => {
    outstanding.delete(tape);
    const list = pool.get(tape.key) ?? [];
    list.push(tape);
    pool.set(tape.key, list);
  };
  const clear = (encoder: GPUCommandEncoder, tape: GpuTape, prefixes: readonly string[]) => {
    const arena = tape.program.arena;
    for (const name of arena.names()) {
      if (!prefixes.some((p) => name.startsWith(p))) continue;
      const r = arena.region(name);
      encoder.clearBuffer(tape.arena, r.offset * 4, Math.ceil(Math.max(r.size, 1) / 4) * 16);
    }
  };

  const write = (tape: GpuTape, region: string, data: ArrayLike<number>) => {
    const f32 = data instanceof Float32Array ? data : Float32Array.from(data);
    device.queue.writeBuffer(tape.arena, tape.program.arena.offset(region) * 4, f32.buffer, f32.byteOffset, f32.byteLength);
  };

  const encode = (pass: GPUComputePassEncoder, tape: GpuTape, list: readonly Dispatch[], uniformOffset: number) => {
    for (const d of list) {
      pass.setPipeline(pipeline(tape.program.kernels.get(d.kernel)!));
      pass.setBindGroup(0, tape.bindGroup, [uniformOffset, d.site * SITE_BYTES]);
      pass.dispatchWorkgroups(...d.groups);
      stats.dispatches++;
    }
  };

  /** Submits the encoder's work plus copies of `regions` and resolves with their contents. */
  const submitAndRead = async (encoder: GPUCommandEncoder, tape: GpuTape, regions: readonly string[]): Promise<Float32Array[]> => {
    const sizes = regions.map((r) => tape.program.arena.region(r).size);
    const total = sizes.reduce((a, b) => a + b, 0);
    const readback = buffer(Math.max(4, total * 4), GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST);
    let at = 0;
    regions.forEach((r, i) => {
      encoder.copyBufferToBuffer(tape.arena, tape.program.arena.offset(r) * 4, readback, at * 4, sizes[i]! * 4);
      at += sizes[i]!;
    });
    device.queue.submit([encoder.finish()]);
    stats.submissions++;
    await readback.mapAsync(GPUMapMode.READ);
    const all = new Float32Array(readback.getMappedRange().slice(0));
    readback.unmap();
    destroy(readback);
    at = 0;
    return sizes.map((n) => all.subarray(at, (at += n)));
  };

  return {
    name: 'webgpu',
    stats,
    async forwardDirection(run: DirectionRun): Promise<DirectionResult> {
      const tape = pool.get(poolKey(run))?.pop() ?? allocate(run);
      write(tape, 'LEN', run.lengths);
      write(tape, 'X', run.input);
      cell.params.forEach((p, i) => write(tape, `P${i}`, run.params.get(p.name)!));
      run.initial.forEach((s, k) => write(tape, `S${k}`, s));
      const encoder = device.createCommandEncoder();
      // Outputs past an example's length stay zero; tape rows of skipped steps must not hold an earlier run's values.
      clear(encoder, tape, ['OUT', 'ST', 'SV_']);
      const pass = encoder.beginComputePass();
      encode(pass, tape, tape.program.forward.prologue, 0);
      for (let s = 0; s < run.steps; s++) encode(pass, tape, tape.program.forward.step, s * UNIFORM_STRIDE);
      pass.end();
      const [out, ...finals] = await submitAndRead(encoder, tape, ['OUT', ...cell.states.map((_, k) => `S${k}`)]);
      if (run.training) outstanding.add(tape);
      else release(tape);
      return { output: out!, final: finals, ...(run.training ? { tape } : {}) };
    },
    async backwardDirection(run: DirectionRun, result: DirectionResult, gradOutput: Floats, gradFinal: readonly Floats[]): Promise<DirectionGrads> {
      const tape = result.tape as GpuTape;
      if (!outstanding.has(tape)) throw new CellforgeError('backward() was already run for this forward: the webgpu backend frees its tape after one backward; run forward() again');
      const { program } = tape;
      write(tape, 'GOUT', gradOutput);
      gradFinal.forEach((g, k) => write(tape, `C${k}`, g));
      const encoder = device.createCommandEncoder();
      // Gradient accumulators and per-time copies start from zero.
      clear(encoder, tape, ['GP', 'DX', 'b.PT', 'b.PV']);
      const pass = encoder.beginComputePass();
      for (let s = run.steps - 1; s >= 0; s--) encode(pass, tape, program.backward.step, s * UNIFORM_STRIDE);
      encode(pass, tape, program.backward.epilogue, 0);
      pass.end();
      const [dx, ...rest] = await submitAndRead(encoder, tape, ['DX', ...cell.states.map((_, k) => `C${k}`), ...cell.params.map((_, i) => `GP${i}`)]);
      release(tape);
      const dInitial = rest.slice(0, cell.states.length);
      const grads = new Map(cell.params.map((p, i) => [p.name, rest[cell.states.length + i]!]));
      return { dInput: dx!, dInitial, grads };
    },
    beginSequence() {
      for (const tape of [...outstanding]) release(tape);
    },
    dispose() {
      pool.clear();
      outstanding.clear();
      for (const b of [...live]) destroy(b);
    },
  };

  function allocate(run: DirectionRun): GpuTape {
    const { steps: T } = run;
    const program = programFor(run);
    const arena = buffer(program.arena.size * 4, GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST);
    const uniforms = buffer(T * UNIFORM_STRIDE, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const u = new Int32Array((T * UNIFORM_STRIDE) / 4);
    for (let s = 0; s < T; s++) u.set([s, run.reverse ? 1 : 0, run.truncate ?? 0, 0], (s * UNIFORM_STRIDE) / 4);
    device.queue.writeBuffer(uniforms, 0, u);
    const sites = buffer(program.sites.length * SITE_BYTES, GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST);
    const siteInts = new Int32Array(program.sites.length * SITE_INTS);
    program.sites.forEach((slot, i) => siteInts.set(slot, i * SITE_INTS));
    device.queue.writeBuffer(sites, 0, siteInts);
    const bindGroup = device.createBindGroup({
      layout,
      entries: [
        { binding: 0, resource: { buffer: arena } },
        { binding: 1, resource: { buffer: uniforms, size: 16 } },
        { binding: 2, resource: { buffer: sites, size: SITE_BYTES } },
      ],
    });
    return { key: poolKey(run), program, arena, uniforms, sites, bindGroup };
  }
}
