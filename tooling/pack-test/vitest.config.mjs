import { packageTests } from "@snn/tooling/vitest";

// global-setup.ts packs once; the two install files run side by side (npm is mostly waiting on
// the disk), each in its own folder.
export default packageTests({
  globalSetup: ["test/global-setup.ts"],
  maxWorkers: 3,
  testTimeout: 240_000,
});
