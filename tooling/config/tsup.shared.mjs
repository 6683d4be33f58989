// One tsup configuration for every published package: ESM, declarations, source maps.
// A package's tsup.config.mjs calls packageBuild() with its entry points.
import { defineConfig } from "tsup";

export function packageBuild(entry = ["src/index.ts"], overrides = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    splitting: false,
    treeshake: true,
    ...overrides,
  });
}
