import { packageBuild } from "@snn/tooling/tsup";

// One executable: dist/bin.js (with a shebang). The CLI has no library entry.
export default packageBuild(["src/bin.ts"], {
  dts: false,
  banner: { js: "#!/usr/bin/env node" },
});
