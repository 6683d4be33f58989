import { packageBuild } from "@snn/tooling/tsup";

// Two entries, `@snn/core` and `@snn/core/internal` (for backend authors), over shared chunks:
// the error classes, the plan helpers and the WebAssembly assembler exist once.
// Every declaration file references the WebGPU types that `DeviceAccess` (device-access.ts)
// names: the declaration bundler drops the reference written in that module.
export default packageBuild(["src/index.ts", "src/internal.ts"], {
  splitting: true,
  dts: { banner: '/// <reference types="@webgpu/types" />' },
});
