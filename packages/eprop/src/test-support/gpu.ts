/**
 * Test support: a WebGPU backend (Dawn through the `webgpu` package) where an adapter exists;
 * otherwise null and the reason the WebGPU tests are skipped, unless SNN_REQUIRE_WEBGPU is set,
 * in which case the missing adapter is an error.
 */
import { createNodeDevice, webgpuBackend, type WebGpuBackend } from "@snn/backend-wgsl";

export async function testGpu(): Promise<{
  backend: WebGpuBackend | null;
  skipReason: string | null;
}> {
  try {
    const { device } = await createNodeDevice();
    return { backend: webgpuBackend({ device }), skipReason: null };
  } catch (error) {
    const reason = `no WebGPU adapter: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.SNN_REQUIRE_WEBGPU)
      throw new Error(`SNN_REQUIRE_WEBGPU is set but ${reason}`, { cause: error });
    return { backend: null, skipReason: reason };
  }
}
