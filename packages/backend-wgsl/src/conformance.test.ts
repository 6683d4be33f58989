import { cpuBackend } from "@snn/backend-cpu";
import { registerConformanceSuite } from "@snn/conformance";
import { describe } from "vitest";
import { testGpu } from "../test-support/gpu";

// The whole conformance suite on WebGPU (Dawn; llvmpipe on machines without a GPU), against the CPU backend.
const gpu = await testGpu();

describe.skipIf(gpu.skipReason !== null)(
  `webgpu${gpu.skipReason ? ` (skipped: ${gpu.skipReason})` : ""}`,
  () => {
    registerConformanceSuite({ name: "webgpu", backend: () => gpu.backend, reference: cpuBackend });
  },
);
