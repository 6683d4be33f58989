/// <reference types="webgpu" />
import {
  LIF,
  Network,
  planNetwork,
  RuntimeUsageError,
  SpikeSourceArray,
  StaticPulse,
} from "@snn/core";
import { describe, expect, it } from "vitest";
import { testGpu } from "../../test-support/gpu";
import { BufferUsage, MapMode } from "./gpu";
import type { WebGpuRuntime } from "./runtime";

const gpu = await testGpu();

function network(): Network {
  const net = new Network({ batchSize: 2 });
  net.addPopulation("in", { model: SpikeSourceArray, size: 40 });
  net.addPopulation("n", {
    model: LIF,
    size: 5,
    params: { Ioffset: 1.5 },
    init: { V: [-70, -66, -62, -58, -54] },
  });
  net.addProjection("in_n", {
    pre: "in",
    post: "n",
    model: StaticPulse,
    connectivity: { kind: "dense" },
    init: { g: 3 },
  });
  return net;
}

/** A step hook that copies V of every step into row (trial_step - 1) of a history, with the clock's step in a second buffer. */
const RECORD_WGSL = `
struct Clock { trial_step: u32, global_step: u32, unused0: u32, unused1: u32 }
struct Where { offset: u32, length: u32, unused0: u32, unused1: u32 }
@group(0) @binding(0) var<uniform> where_: Where;
@group(0) @binding(1) var<storage, read> clock: Clock;
@group(0) @binding(2) var<storage, read> state: array<f32>;
@group(0) @binding(3) var<storage, read_write> history: array<f32>;
@group(0) @binding(4) var<storage, read_write> steps: array<u32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let row = clock.trial_step - 1u;
  if (id.x < where_.length) {
    history[row * where_.length + id.x] = state[where_.offset + id.x];
  }
  if (id.x == 0u) {
    steps[row] = clock.trial_step;
  }
}`;

async function read(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({
    size: bytes,
    usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MapMode.READ);
  const data = staging.getMappedRange().slice(0);
  staging.destroy();
  return data;
}

describe.skipIf(gpu.skipReason !== null)("WebGpuRuntime device access", () => {
  it("a step hook runs after every step's kernels, in steps encoded together, and reads variables in place", async () => {
    const runtime = (await gpu.backend.compile(planNetwork(network()), {})) as WebGpuRuntime;
    const device = runtime.gpuDevice;
    const v = runtime.varStorage("n", "V");
    expect(v).toMatchObject({ length: 10, type: "float", batched: true });
    const steps = 7;
    const history = device.createBuffer({
      size: steps * v.length * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC,
    });
    const stepLog = device.createBuffer({
      size: steps * 4,
      usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC,
    });
    const where = device.createBuffer({
      size: 16,
      usage: BufferUsage.UNIFORM | BufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(where, 0, new Uint32Array([v.offset, v.length, 0, 0]));
    const pipeline = device.createComputePipeline({
      layout: "auto",
      compute: { module: device.createShaderModule({ code: RECORD_WGSL }), entryPoint: "main" },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: where } },
        { binding: 1, resource: { buffer: runtime.clockBuffer } },
        { binding: 2, resource: { buffer: v.buffer } },
        { binding: 3, resource: { buffer: history } },
        { binding: 4, resource: { buffer: stepLog } },
      ],
    });
    const remove = runtime.addStepHook((pass) => {
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(1);
    });
    runtime.setSpikeEvents("in", [
      { steps: Int32Array.from([1, 2]), units: Int32Array.from([3, 39]) },
      { steps: Int32Array.from([4]), units: Int32Array.from([0]) },
    ]);
    const events = runtime.spikeEventStorage("in");
    expect(events).toMatchObject({ wordsPerRow: 2, steps: 5 });
    const bits = new Uint32Array(await read(device, events.buffer, 5 * 2 * 2 * 4));
    expect(bits[(1 * 2 + 0) * 2 + 0]).toBe(1 << 3);
    expect(bits[(2 * 2 + 0) * 2 + 1]).toBe(1 << 7);
    expect(bits[(4 * 2 + 1) * 2 + 0]).toBe(1);

    // Reference: V after each step, read step by step.
    const expected: number[] = [];
    const reference = (await gpu.backend.compile(planNetwork(network()), {})) as WebGpuRuntime;
    reference.setSpikeEvents("in", [
      { steps: Int32Array.from([1, 2]), units: Int32Array.from([3, 39]) },
      { steps: Int32Array.from([4]), units: Int32Array.from([0]) },
    ]);
    for (let s = 0; s < steps; s++) {
      await reference.step(1);
      expected.push(...(await reference.readVar("n", "V")));
    }
    await runtime.step(steps);
    expect(Array.from(new Uint32Array(await read(device, stepLog, steps * 4)))).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(Array.from(new Float32Array(await read(device, history, steps * v.length * 4)))).toEqual(
      expected,
    );
    // Removed: later steps leave the history alone.
    remove();
    await runtime.step(2);
    expect(Array.from(new Uint32Array(await read(device, stepLog, steps * 4)))).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(() => runtime.varStorage("n", "Nope")).toThrow(/'n' has no variable 'Nope'/);
    expect(() => runtime.spikeEventStorage("n")).toThrow(RuntimeUsageError);
    runtime.dispose();
    reference.dispose();
    expect(() => runtime.varStorage("n", "V")).toThrow(/disposed/);
  });
});
