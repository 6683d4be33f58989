// The worker entry when @snn/eprop runs from its TypeScript sources, as in the workspace's tests
// (vitest resolves workspace packages to their sources): registers the hooks that load
// TypeScript (ts-hooks.mjs), then runs src/train-worker.ts. worker-threads.ts picks it where it
// runs from its .ts source. A published package holds dist/ only, whose entry is
// dist/train-worker.js; this folder is never built nor shipped.
import { register } from "node:module";

register("./ts-hooks.mjs", import.meta.url);
await import("../../train-worker.ts");
