import { LIF, Network, planNetwork, PLAN_VERSION, SnnError, type NeuronModel } from "@snn/core";
import { afterEach, describe, expect, it, vi } from "vitest";
import { webgpuBackend } from "./backend";
import { createNodeDevice } from "./device";
import { DeviceLostError, WebGpuUnavailableError, WgslCompileError } from "./errors";
import { testGpu } from "../test-support/gpu";

const gpu = await testGpu();
/** A Dawn backend that never has an adapter on this platform. */
const absentBackend = process.platform === "win32" ? "metal" : "d3d12";

function smallNetwork(model: NeuronModel = LIF): Network {
  const net = new Network({ batchSize: 2 });
  net.addPopulation("n", {
    model,
    size: 8,
    params: model === LIF ? { Ioffset: 2 } : {},
    recordSpikes: true,
  });
  return net;
}

describe("no adapter", () => {
  it("createNodeDevice says what to install and which environment variable to set", async () => {
    const attempt = createNodeDevice({ backend: absentBackend });
    await expect(attempt).rejects.toBeInstanceOf(WebGpuUnavailableError);
    await expect(createNodeDevice({ backend: absentBackend })).rejects.toThrow(
      new RegExp(
        `No WebGPU adapter was found \\(tried Dawn's ${absentBackend} with featureLevel core\\).*apt-get install -y libegl-dev libegl-mesa0 libgl1-mesa-dri.*EGL_PLATFORM=surfaceless`,
      ),
    );
  });

  it("isAvailable() answers false instead of throwing, and compile() explains", async () => {
    const backend = webgpuBackend({ node: { backend: absentBackend } });
    await expect(backend.isAvailable()).resolves.toBe(false);
    await expect(backend.compile(planNetwork(smallNetwork()))).rejects.toThrow(
      WebGpuUnavailableError,
    );
  });

  it("rejects an unknown Dawn backend name with Dawn's list of backends", async () => {
    await expect(createNodeDevice({ backend: "no-such-backend" })).rejects.toThrow(
      /Dawn rejected the options \[backend=no-such-backend\][^]*opengles/,
    );
  });
});

describe.skipIf(gpu.skipReason !== null)("with a WebGPU adapter", () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it("isAvailable() is true and describe() names the adapter", async () => {
    await expect(gpu.backend.isAvailable()).resolves.toBe(true);
    const description = await gpu.backend.describe();
    expect(description.length).toBeGreaterThan(3);
  });

  it("a lost device makes the runtime reject further calls with the reason", async () => {
    const { device } = await createNodeDevice();
    const backend = webgpuBackend({ device });
    const runtime = await backend.compile(planNetwork(smallNetwork()));
    await runtime.step(5);
    await runtime.finish();
    device.destroy();
    await device.lost;
    await expect(runtime.step(1)).rejects.toBeInstanceOf(DeviceLostError);
    await expect(runtime.readVar("n", "V")).rejects.toThrow(
      /The WebGPU device was lost \(reason: destroyed.*create a new device/,
    );
    expect(() => runtime.startTrial()).toThrow(DeviceLostError);
    runtime.dispose();
    await expect(backend.compile(planNetwork(smallNetwork()))).rejects.toThrow(DeviceLostError);
    await expect(backend.isAvailable()).resolves.toBe(false);
  });

  it("a WGSL compile error shows the generated line and the model code it came from", async () => {
    const Overflow: NeuronModel = {
      kind: "neuron",
      name: "Overflow",
      vars: { V: {} },
      sim: "let x = V + 1.0;\nV = exp(1000.0) * x;",
    };
    const attempt = gpu.backend.compile(planNetwork(smallNetwork(Overflow)));
    await expect(attempt).rejects.toBeInstanceOf(WgslCompileError);
    const error = (await attempt.catch((e: unknown) => e)) as WgslCompileError;
    expect(error.message).toMatch(
      /The WGSL generated for kernel 'Neuron update: model Overflow \(n\)' did not compile/,
    );
    expect(error.message).toMatch(/generated line \d+: n_V = exp\(1000\.0f\) \* l_x;/);
    expect(error.message).toMatch(
      /from model 'Overflow', sim code, line 2: V = exp\(1000\.0\) \* x;/,
    );
    expect(error.diagnostics[0]!.origin).toMatchObject({
      model: "Overflow",
      field: "sim",
      line: 2,
    });
  });

  it("printCode passes every shader to a function, or prints it", async () => {
    const printed: string[] = [];
    const runtime = await gpu.backend.compile(planNetwork(smallNetwork()), {
      printCode: (label, code) => printed.push(`${label}\n${code}`),
    });
    runtime.dispose();
    expect(printed.map((p) => p.split("\n")[0])).toEqual([
      "Neuron update: model LIF (n)",
      "Clock: advance the step counters (step)",
    ]);
    expect(printed[0]).toContain("@compute @workgroup_size(64)");
    const log = vi.spyOn(console, "log").mockImplementation(() => {});
    (await gpu.backend.compile(planNetwork(smallNetwork()), { printCode: true })).dispose();
    expect(log).toHaveBeenCalledTimes(2);
    expect(String(log.mock.calls[0]![0])).toMatch(/^\/\/ ---- Neuron update: model LIF \(n\)\n/);
  });

  it("rejects a plan of another version", async () => {
    const plan = { ...planNetwork(smallNetwork()), version: PLAN_VERSION + 1 };
    await expect(gpu.backend.compile(plan as never)).rejects.toThrow(SnnError);
    await expect(gpu.backend.compile(plan as never)).rejects.toThrow(
      /compiles kernel plans of version 1, got 2/,
    );
  });
});
