/**
 * Test support: one WebGPU backend per test file. Tests that need WebGPU run when an adapter
 * exists; without one they are skipped with the reason, unless SNN_REQUIRE_WEBGPU is set, in
 * which case the missing adapter is an error.
 */
import { webgpuBackend, type WebGpuBackend, type WebGpuBackendOptions } from "../backend";
import { createNodeDevice } from "../device";

export interface TestGpu {
  readonly backend: WebGpuBackend;
  /** Null when WebGPU runs; else why the tests are skipped. */
  readonly skipReason: string | null;
}

export async function testGpu(
  options: Omit<WebGpuBackendOptions, "device"> = {},
): Promise<TestGpu> {
  try {
    const created = await createNodeDevice();
    return {
      backend: webgpuBackend({ ...options, device: created.device }),
      skipReason: null,
    };
  } catch (error) {
    const reason = `no WebGPU adapter: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.SNN_REQUIRE_WEBGPU)
      throw new Error(`SNN_REQUIRE_WEBGPU is set but ${reason}`, { cause: error });
    console.warn(`Skipping WebGPU tests: ${reason}`);
    return { backend: webgpuBackend(options), skipReason: reason };
  }
}
