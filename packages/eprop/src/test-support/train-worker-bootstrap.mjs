// The worker entry of data-parallel training in tests (see setTrainWorkerEntry): registers the
// hooks that load TypeScript sources, then runs src/train-worker.ts.
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
await import("../train-worker.ts");
