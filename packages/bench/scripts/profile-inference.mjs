// Profiling aid for issue 16: runs the pretrained smnist network's inference at one batch size
// for a number of trials, and with a file name profiles only those trials (CPU profile). Usage:
//   node packages/bench/scripts/profile-inference.mjs [batchSize] [trials] [out.cpuprofile] [fused|stepped]
import { cpuBackend } from "@snn/backend-cpu";
import { imagePixels, loadEmbeddedMnist } from "@snn/datasets";
import { EpropRuntime, prepareTrial } from "@snn/eprop";
import { loadPretrained } from "@snn/pretrained";
import { Session } from "node:inspector/promises";
import { writeFileSync } from "node:fs";

const batchSize = Number(process.argv[2] ?? 1);
const count = Number(process.argv[3] ?? 200);
const images = await loadEmbeddedMnist("test", { limit: Math.max(64, batchSize) });
const model = await loadPretrained("smnist");
const fusedInference = process.argv[5] !== "stepped";
const session = await EpropRuntime.create(model.network, {
  backend: cpuBackend(),
  batchSize,
  mode: "inference",
  parameters: model.parameters,
  fusedInference,
});
const trials = [];
for (let first = 0; first + batchSize <= images.count; first += batchSize) {
  const pixels = Array.from({ length: batchSize }, (_, b) => imagePixels(images, first + b));
  const labels = Array.from({ length: batchSize }, (_, b) => images.labels[first + b]);
  trials.push(
    prepareTrial(
      model.batch(pixels, labels),
      model.network,
      batchSize,
      model.input.lossMask ?? undefined,
    ),
  );
}
for (let k = 0; k < 3; k++) await session.runTrial(trials[k % trials.length]);
const profileTo = process.argv[4];
const inspector = new Session();
if (profileTo) {
  inspector.connect();
  await inspector.post("Profiler.enable");
  await inspector.post("Profiler.start");
}
const start = performance.now();
for (let k = 0; k < count; k++) await session.runTrial(trials[k % trials.length]);
const ms = performance.now() - start;
if (profileTo) {
  const { profile } = await inspector.post("Profiler.stop");
  writeFileSync(profileTo, JSON.stringify(profile));
}
console.log(
  `batch ${batchSize}: ${(ms / count).toFixed(3)} ms/trial, ${(ms / count / batchSize).toFixed(4)} ms/digit`,
);
session.dispose();
