// The WebGPU checks a session runs on a machine with a GPU (scripts/gpu-check.sh bundles this
// file with @snn/bench into .gpu-check/bench.mjs). Prints the adapter, then runs the WebGPU
// suites at full size (wgsl-lif, eprop-webgpu, inference-webgpu), and the CPU eprop suite at
// T = 250 and 500 and the CPU inference suite in the same run for ratios on that machine (the
// LSTM reference only where that machine's python has torch); writes the reports to $OUT/gpu-check.json (or
// ./gpu-check.json). Exits 1 when a suite found disagreeing results.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createNodeDevice } from "@snn/backend-wgsl";
import { runBenchmarks } from "@snn/bench";

const started = performance.now();
const log = (line) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1)} s] ${line}`);
try {
  const { device, description } = await createNodeDevice();
  log(`adapter: ${description}`);
  device.destroy();
} catch (error) {
  log(`no WebGPU adapter: ${error instanceof Error ? error.message : String(error)}`);
}
const suites = (
  process.env.SUITES ?? "wgsl-lif,eprop-webgpu,inference-webgpu,eprop,inference"
).split(",");
const reports = await runBenchmarks(suites, {
  log,
  eprop: { steps: [250, 500], forms: ["chunked"], pytorchReference: false },
  epropWebgpu: { steps: [250, 500, 1000] },
});
const file = join(process.env.OUT ?? ".", "gpu-check.json");
writeFileSync(file, JSON.stringify(reports, null, 2));
log(`wrote ${file}`);
const disagreements = reports
  .flatMap((report) => report.results)
  .filter((result) => result.spikeCountsMatch === false || result.identicalVoltages === false);
process.exit(disagreements.length > 0 ? 1 : 0);
