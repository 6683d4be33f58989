import { packageBuild } from "@snn/tooling/tsup";

// The declarations use WebGPU's global types (GPUDevice, ...), which the `webgpu` package provides.
export default packageBuild(["src/index.ts"], {
  dts: { banner: '/// <reference types="webgpu" />' },
});
