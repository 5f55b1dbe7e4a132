/// <reference types="@webgpu/types" />
import { expect, it } from 'vitest';
import { describeGpu, gpuTest } from './helpers.js';

const N = 1000;
const WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i < arrayLength(&x)) {
    y[i] = x[i] * 2.0 + 1.0;
  }
}
`;

describeGpu('WebGPU adapter', (gpu) => {
  it('reports the adapter', () => {
    console.log(`WebGPU adapter: ${gpu.adapterInfo}`);
    expect(gpu.adapterInfo.length).toBeGreaterThan(0);
    expect(gpu.device.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });
});

gpuTest('runs a WGSL compute shader: y[i] = x[i] * 2 + 1 over 1000 floats', async (device) => {
  const x = new Float32Array(N);
  for (let i = 0; i < N; i++) x[i] = i * 0.5 - 100;
  const bytes = x.byteLength;

  const xBuf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
  const yBuf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
  const readBuf = device.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(xBuf, 0, x);

  device.pushErrorScope('validation');
  const module = device.createShaderModule({ code: WGSL });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bindGroup = device.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: xBuf } },
      { binding: 1, resource: { buffer: yBuf } },
    ],
  });

  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(Math.ceil(N / 64));
  pass.end();
  encoder.copyBufferToBuffer(yBuf, 0, readBuf, 0, bytes);
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  expect(error?.message ?? null).toBeNull();

  await readBuf.mapAsync(GPUMapMode.READ);
  const y = new Float32Array(readBuf.getMappedRange().slice(0));
  readBuf.unmap();
  for (const b of [xBuf, yBuf, readBuf]) b.destroy();

  const expected = x.map((v) => v * 2 + 1);
  expect(y).toEqual(expected);
});
