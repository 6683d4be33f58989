/**
 * Test support, shared by the WebGPU tests of every package (backend-wgsl's own and
 * @snn/eprop's): one WebGPU backend per test file. Tests that need WebGPU run when an adapter
 * exists; without one they are skipped with the reason, unless SNN_REQUIRE_WEBGPU is set, in
 * which case the missing adapter is an error.
 *
 * It lives outside `src/`, so it is never built or published, and it imports the backend through
 * the package's public entry (`@snn/backend-wgsl`), so it has the same types in the package's own
 * typecheck (tsconfig `paths` maps the name to `src/index.ts`) and in the packages that depend on
 * the backend; in tests, vitest resolves the name to the sources (tooling/config/vitest.shared.mjs).
 */
import {
  createNodeDevice,
  webgpuBackend,
  type WebGpuBackend,
  type WebGpuBackendOptions,
} from "@snn/backend-wgsl";

export interface TestGpu {
  /** A backend on a Node device; without an adapter, one that looks for a device on first use. */
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
