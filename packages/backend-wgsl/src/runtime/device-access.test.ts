/// <reference types="webgpu" />
import {
  LIF,
  Network,
  planNetwork,
  RuntimeUsageError,
  SpikeSourceArray,
  StaticPulse,
} from "@snn/core";
import { cpuBackend } from "@snn/backend-cpu";
import { describe, expect, it } from "vitest";
import { testGpu } from "../../test-support/gpu";
import { WgslCompileError } from "../errors";
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

describe.skipIf(gpu.skipReason !== null)("WebGpuRuntime device access", () => {
  it("is offered by the WebGPU runtime and not by the CPU one", async () => {
    const runtime = await gpu.backend.compile(planNetwork(network()), {});
    expect(runtime.deviceAccess).toBeDefined();
    const cpu = await cpuBackend().compile(planNetwork(network()), {});
    expect(cpu.deviceAccess).toBeUndefined();
    runtime.dispose();
    cpu.dispose();
  });

  it("a step hook runs after every step's kernels, in steps encoded together, and reads variables in place", async () => {
    const runtime = (await gpu.backend.compile(planNetwork(network()), {})) as WebGpuRuntime;
    const access = runtime.deviceAccess;
    const device = access.device;
    const read = (buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> =>
      access.readBuffer(buffer, 0, bytes);
    const v = access.varStorage("n", "V");
    expect(v).toMatchObject({ length: 10, type: "float", batched: true });
    const steps = 7;
    const history = access.createBuffer("history", steps * v.length * 4, "storage");
    const stepLog = access.createBuffer("steps", steps * 4, "storage");
    const where = access.createBuffer("where", 12, "uniform");
    expect(where.size).toBe(16);
    device.queue.writeBuffer(where, 0, new Uint32Array([v.offset, v.length, 0, 0]));
    const kernel = await access.compileKernel("record V", RECORD_WGSL, [
      "uniform",
      "read-only-storage",
      "read-only-storage",
      "storage",
      "storage",
    ]);
    const bindGroup = device.createBindGroup({
      layout: kernel.layout,
      entries: [
        { binding: 0, resource: { buffer: where } },
        { binding: 1, resource: { buffer: access.clock } },
        { binding: 2, resource: { buffer: v.buffer } },
        { binding: 3, resource: { buffer: history } },
        { binding: 4, resource: { buffer: stepLog } },
      ],
    });
    const remove = access.addStepHook((pass) => {
      pass.setPipeline(kernel.pipeline);
      pass.setBindGroup(0, bindGroup);
      pass.dispatchWorkgroups(1);
    });
    runtime.setSpikeEvents("in", [
      { steps: Int32Array.from([1, 2]), units: Int32Array.from([3, 39]) },
      { steps: Int32Array.from([4]), units: Int32Array.from([0]) },
    ]);
    const events = access.spikeEventStorage("in");
    expect(events).toMatchObject({ wordsPerRow: 2, steps: 5 });
    const bits = new Uint32Array(await read(events.buffer, 5 * 2 * 2 * 4));
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
    expect(Array.from(new Uint32Array(await read(stepLog, steps * 4)))).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(Array.from(new Float32Array(await read(history, steps * v.length * 4)))).toEqual(
      expected,
    );
    // Removed: later steps leave the history alone.
    remove();
    await runtime.step(2);
    expect(Array.from(new Uint32Array(await read(stepLog, steps * 4)))).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(() => access.varStorage("n", "Nope")).toThrow(/'n' has no variable 'Nope'/);
    expect(() => access.spikeEventStorage("n")).toThrow(RuntimeUsageError);
    await expect(access.compileKernel("broken", "fn main( {", [])).rejects.toThrow(
      WgslCompileError,
    );
    history.destroy();
    stepLog.destroy();
    where.destroy();
    runtime.dispose();
    reference.dispose();
    expect(() => access.varStorage("n", "V")).toThrow(/disposed/);
    expect(() => access.device).toThrow(/disposed/);
  });
});
