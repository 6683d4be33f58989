import { packageBuild } from "@snn/tooling/tsup";

// Two entries, `@snn/core` and `@snn/core/internal` (for backend authors), over shared chunks:
// the error classes, the plan helpers and the WebAssembly assembler exist once.
export default packageBuild(["src/index.ts", "src/internal.ts"], {
  splitting: true,
});
