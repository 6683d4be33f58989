import { packageBuild } from "@snn/tooling/tsup";

// The library, and the preload that ends a sweep's trainer when its worker dies.
export default packageBuild(["src/index.ts", "src/parent-watch.ts"]);
