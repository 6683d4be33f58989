import { packageBuild } from "@snn/tooling/tsup";

// train-worker.js is the entry of the worker threads of data-parallel training (Trainer
// threads > 1), loaded beside index.js.
export default packageBuild(["src/index.ts", "src/train-worker.ts"]);
