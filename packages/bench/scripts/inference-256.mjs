// The `inference` suite for the 256-ALIF networks only (seeded and the trained @snn/pretrained
// `smnist`): batch-1 latency, batch-128 latency, and throughput at batch 128 in 1 and 2 threads,
// without the PyTorch LSTM. Run from packages/bench after building it and its dependencies:
//   node scripts/inference-256.mjs [report.json]
// One line per result: case, ms per digit, digits per second (throughput rows), scaling over 1
// thread. (A script file rather than `node -e`: the worker threads inherit node's flags, and
// `--input-type` is refused outside `-e`.)
import { writeFileSync } from "node:fs";
import { runBenchmarks } from "../dist/index.js";

const reports = await runBenchmarks(["inference"], {
  log: (line) => process.stderr.write(`${line}\n`),
  inference: {
    hiddenSizes: [256],
    batchSizes: [1, 128],
    pytorchReference: false,
    throughputThreads: [1, 2],
  },
});
if (process.argv[2] !== undefined) writeFileSync(process.argv[2], JSON.stringify(reports, null, 2));
for (const result of reports[0].results) {
  const perSecond = result.digitsPerSecond === undefined ? "" : result.digitsPerSecond.toFixed(0);
  const scaling =
    result.scalingOverOneThread === undefined ? "" : `${result.scalingOverOneThread.toFixed(2)}x`;
  console.log(result.case, result.msPerSample.toFixed(3), perSecond, scaling);
}
