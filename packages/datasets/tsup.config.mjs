import { packageBuild } from "@snn/tooling/tsup";

// h5-worker.mjs is plain JavaScript loaded as a worker thread beside index.js (see
// src/hdf5/h5-reader.ts): copied as it is, not bundled.
export default packageBuild(["src/index.ts"], {
  onSuccess: "cp src/hdf5/h5-worker.mjs dist/h5-worker.mjs",
});
