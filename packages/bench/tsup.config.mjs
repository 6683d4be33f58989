import { packageBuild } from "@snn/tooling/tsup";

// `src/cli.ts` is the runnable entry of `pnpm bench` (and what `snn bench` can call through `runBenchmarks`).
export default packageBuild(["src/index.ts", "src/cli.ts", "src/cpu-lif-worker.ts"]);
