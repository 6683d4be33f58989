// A/B of two builds of @snn/eprop's chunked training for issue 16, on a shared machine: the
// `snn train --encoding 80 --loss-steps 0` network (80 -> 256 recurrent ALIF -> 10, sequential
// MNIST of 794 steps of 2 ms, batch 32) on real (embedded MNIST) digits, a baseline build
// against this workspace's build, batches interleaved in one process; checks that both end with
// byte-identical parameters.
//
//   node packages/bench/scripts/train-build-ab.mjs BASELINE [batches=8]
//
// BASELINE: a folder inside packages/eprop/ holding a built dist/ of @snn/eprop (ignored by git),
// for example the build of an earlier commit:
//   git checkout <commit> -- packages/eprop/src && pnpm exec turbo run build --filter=@snn/eprop
//   mkdir -p packages/eprop/.ab-base && cp -r packages/eprop/dist packages/eprop/.ab-base/
//   git checkout HEAD -- packages/eprop/src && pnpm exec turbo run build --filter=@snn/eprop
//
// Both trainers train at once, but turns let one batch run at a time, alternating builds, so
// that the process's CPU time (all threads: main and trace thread) from a batch's start to its
// `onBatchEnd` belongs to that build; time the process waits for a core (another job at higher
// priority) is not counted. Prints the median CPU and wall seconds per batch of each build (the
// first batch, a warm-up, left out), the median and geometric mean of the per-batch CPU ratios, and whether the
// parameters after training are the same bytes.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuBackend } from "@snn/backend-cpu";
import { createSequentialMnistDataset, loadEmbeddedMnist } from "@snn/datasets";
import * as current from "@snn/eprop";

const [baselineDir, batchesArg] = process.argv.slice(2);
if (baselineDir === undefined) {
  console.error("usage: node train-build-ab.mjs BASELINE [batches] (see the script's comment)");
  process.exit(2);
}
const baseline = await import(pathToFileURL(resolve(baselineDir, "dist/index.js")).href);
const batches = Number(batchesArg ?? 8);
const batchSize = 32;
const images = await loadEmbeddedMnist("train", { limit: batches * batchSize });
const source = createSequentialMnistDataset(images, { encoding: "80-channel-cue" });

// Turns: batch k of the two builds runs in the order baseline, current for even k and current,
// baseline for odd k, so that going first or second (which matters: caches, clock) is shared
// out evenly.
const order = [];
for (let k = 0; k < batches; k++)
  order.push(...(k % 2 === 0 ? ["baseline", "current"] : ["current", "baseline"]));
let slot = 0;
const waiting = new Map();
const pump = () => {
  const resolve = waiting.get(order[slot]);
  if (resolve === undefined) return;
  waiting.delete(order[slot]);
  resolve(() => {
    slot++;
    pump();
  });
};
const acquire = (name) =>
  new Promise((resolve) => {
    waiting.set(name, resolve);
    pump();
  });

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
const cpuSeconds = (u) => (u.user + u.system) / 1e6;
const records = {};
async function trainBuild(name, lib) {
  const network = lib.lsnnNetwork({
    dt: 2,
    numInputs: source.numChannels,
    numHidden: 256,
    numClasses: source.numClasses,
    neuron: "alif",
    recurrent: true,
    tauMemMs: 20,
    tauAdaptMs: 700,
    tauOutMs: 20,
    beta: 0.15,
    feedback: "symmetric",
    regularisation: { strength: 0.001, targetRateHz: 10 },
    seed: 1,
  });
  const trainer = new lib.Trainer({
    network,
    backend: cpuBackend(),
    optimizer: { learningRate: 0.002 },
  });
  const rec = (records[name] = { cpu: [], wall: [], trainer });
  let release, cpu0, wall0;
  const dataset = {
    numChannels: source.numChannels,
    numClasses: source.numClasses,
    async *batches(options) {
      for await (const batch of source.batches(options)) {
        release = await acquire(name);
        cpu0 = process.cpuUsage();
        wall0 = performance.now();
        yield batch;
      }
    },
  };
  await trainer.train(dataset, {
    epochs: 1,
    batchSize,
    callbacks: {
      onBatchEnd: () => {
        rec.cpu.push(cpuSeconds(process.cpuUsage(cpu0)));
        rec.wall.push((performance.now() - wall0) / 1e3);
        release();
      },
    },
  });
}
await Promise.all([trainBuild("baseline", baseline), trainBuild("current", current)]);

const bytes = async (trainer) => {
  const set = await trainer.getParameters();
  return Object.keys(set)
    .sort()
    .map((k) => `${k}:${Buffer.from(Float32Array.from(set[k]).buffer).toString("hex")}`)
    .join("|");
};
const [a, b] = [await bytes(records.baseline.trainer), await bytes(records.current.trainer)];
for (const [name, rec] of Object.entries(records)) {
  const cpu = rec.cpu.slice(1),
    wall = rec.wall.slice(1);
  console.log(
    `${name}: CPU ${median(cpu).toFixed(4)} s/batch (min ${Math.min(...cpu).toFixed(4)}), wall ${median(wall).toFixed(4)} s/batch, over ${cpu.length} batches after a warm-up`,
  );
  rec.trainer.dispose();
}
const ratios = records.current.cpu.slice(1).map((c, i) => c / records.baseline.cpu[i + 1]);
const geometric = Math.exp(ratios.reduce((sum, r) => sum + Math.log(r), 0) / ratios.length);
console.log(
  `current / baseline CPU per batch: median ${median(ratios).toFixed(3)}, geometric mean ${geometric.toFixed(3)} (${ratios.map((r) => r.toFixed(2)).join(" ")})`,
);
console.log(`parameters after ${batches} batches: ${a === b ? "byte-identical" : "DIFFERENT"}`);
if (a !== b) process.exitCode = 1;
