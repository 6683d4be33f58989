// A/B of two builds of @snn/eprop's fused inference for issue 16, on a shared machine: the
// pretrained smnist network on real (embedded MNIST test) digits, a baseline build against this
// workspace's build, interleaved in one process; checks that both give the same outputs.
//
//   node packages/bench/scripts/fused-build-ab.mjs BASELINE [batchSize=1] [threads=1] [rounds] [trials]
//
// BASELINE: a folder inside packages/eprop/ holding a built dist/ of @snn/eprop (so that it
// resolves the same dependencies), for example the build of an earlier commit:
//   git checkout <commit> -- packages/eprop/src && pnpm exec turbo run build --filter=@snn/eprop
//   mkdir -p packages/eprop/.ab-base && cp -r packages/eprop/dist packages/eprop/.ab-base/
//   git checkout HEAD -- packages/eprop/src && pnpm exec turbo run build --filter=@snn/eprop
// (`.ab-base/dist` is ignored by git.)
//
// threads 1: `runtime.runTrial` of each prepared trial on both builds in turn (which goes first
// alternates), CPU time of the process per trial, so that time the process waits for the core
// (another job at higher priority) is not counted; the median over all trials of each build and
// the median of the per-trial ratios. threads > 1: `Trainer.predictBatches` of 16 batches in that
// many worker threads (each build's workers start from its own dist/), wall time per call, calls
// alternating; the medians and the per-call ratios.
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { cpuBackend } from "@snn/backend-cpu";
import { imagePixels, loadEmbeddedMnist } from "@snn/datasets";
import * as current from "@snn/eprop";
import { loadPretrained } from "@snn/pretrained";

const [baselineDir, batchArg, threadsArg, roundsArg, trialsArg] = process.argv.slice(2);
if (baselineDir === undefined) {
  console.error(
    "usage: node fused-build-ab.mjs BASELINE [batchSize] [threads] [rounds] [trials] (see the script's comment)",
  );
  process.exit(2);
}
const baseline = await import(pathToFileURL(resolve(baselineDir, "dist/index.js")).href);
const batchSize = Number(batchArg ?? 1);
const threads = Number(threadsArg ?? 1);
const rounds = Number(roundsArg ?? (threads > 1 ? 6 : 5));
const count = Number(trialsArg ?? (threads > 1 ? 16 : Math.ceil(256 / batchSize)));
const builds = { baseline, current };

const images = await loadEmbeddedMnist("test");
const model = await loadPretrained("smnist");
const batches = Array.from({ length: count }, (_, k) => {
  const indices = Array.from({ length: batchSize }, (_, b) => (k * batchSize + b) % images.count);
  return model.batch(
    indices.map((i) => imagePixels(images, i)),
    indices.map((i) => images.labels[i]),
  );
});
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
const hex = (a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

if (threads === 1) {
  const lossMask = model.input.lossMask ?? undefined;
  const trials = batches.map((b) => current.prepareTrial(b, model.network, batchSize, lossMask));
  const runtimes = {};
  for (const [name, lib] of Object.entries(builds))
    runtimes[name] = await lib.EpropRuntime.create(model.network, {
      backend: cpuBackend(),
      batchSize,
      mode: "inference",
      parameters: model.parameters,
    });
  const fingerprint = async (runtime) => {
    const parts = [];
    for (const trial of trials) {
      const o = await runtime.runTrial(trial);
      parts.push(Array.from(o.predictions).join(","), hex(o.loss));
      for (const c of Object.values(o.spikeCounts)) parts.push(Array.from(c).join(","));
    }
    return parts.join("|");
  };
  const identical =
    (await fingerprint(runtimes.baseline)) === (await fingerprint(runtimes.current));
  const ms = { baseline: [], current: [] };
  for (let r = 0; r < rounds; r++)
    for (const [i, trial] of trials.entries())
      for (const name of (r + i) % 2 ? ["current", "baseline"] : ["baseline", "current"]) {
        const start = process.cpuUsage();
        await runtimes[name].runTrial(trial);
        const used = process.cpuUsage(start);
        ms[name].push((used.user + used.system) / 1000 / batchSize);
      }
  const ratios = ms.baseline.map((b, i) => b / ms.current[i]);
  console.log(
    `batch ${batchSize}, 1 thread, ${rounds} rounds of ${count} trials: baseline ${median(ms.baseline).toFixed(4)}, current ${median(ms.current).toFixed(4)} CPU ms per digit (medians); baseline / current per trial: median ${median(ratios).toFixed(3)}; outputs identical: ${identical}`,
  );
  for (const runtime of Object.values(runtimes)) runtime.dispose();
  if (!identical) process.exitCode = 1;
} else {
  const trainers = {};
  for (const [name, lib] of Object.entries(builds))
    trainers[name] = new lib.Trainer({
      network: model.network,
      backend: cpuBackend(),
      parameters: model.parameters,
      ...(model.input.lossMask !== null ? { lossMask: model.input.lossMask } : {}),
      numSteps: model.input.numSteps,
    });
  const call = (name) => trainers[name].predictBatches(batches, { batchSize, threads });
  const fingerprint = (predictions) =>
    predictions.map((p) => Array.from(p.classes).join(",") + hex(p.loss)).join("|");
  // Untimed: starts the workers, and the outputs compared.
  const identical = fingerprint(await call("baseline")) === fingerprint(await call("current"));
  const rates = { baseline: [], current: [] };
  for (let r = 0; r < rounds; r++)
    for (const name of r % 2 ? ["current", "baseline"] : ["baseline", "current"]) {
      const start = performance.now();
      await call(name);
      rates[name].push((count * batchSize * 1000) / (performance.now() - start));
    }
  const ratios = rates.current.map((c, i) => c / rates.baseline[i]);
  console.log(
    `batch ${batchSize}, ${threads} threads, ${rounds} rounds of ${count * batchSize} digits: baseline ${median(rates.baseline).toFixed(0)}, current ${median(rates.current).toFixed(0)} digits/s (medians); current / baseline per round: median ${median(ratios).toFixed(3)} (${ratios.map((x) => x.toFixed(2)).join(" ")}); outputs identical: ${identical}`,
  );
  for (const trainer of Object.values(trainers)) trainer.dispose();
  if (!identical) process.exitCode = 1;
}
