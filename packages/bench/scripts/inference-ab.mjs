// A/B of inference for issue 16 on a shared machine: the pretrained smnist network on real
// (embedded MNIST test) digits, stepped network (`fusedInference: false`, the path before fused
// inference) against fused inference, interleaved round by round in one process, at one batch
// size and in 1 or 2 threads (each thread its own runtime, trials shared out in turn); checks
// that both give the same outputs. Usage (after building @snn/bench and what it depends on):
//   node packages/bench/scripts/inference-ab.mjs [batchSize=1] [threads=1] [rounds=5] [trialsPerRound]
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { cpuBackend } from "@snn/backend-cpu";
import { imagePixels, loadEmbeddedMnist } from "@snn/datasets";
import { EpropRuntime, prepareTrial } from "@snn/eprop";
import { loadPretrained } from "@snn/pretrained";

async function trialsOf(batchSize, count) {
  const images = await loadEmbeddedMnist("test", { limit: Math.max(64, batchSize) });
  const model = await loadPretrained("smnist");
  const trials = [];
  for (let k = 0; k < count; k++) {
    const indices = Array.from({ length: batchSize }, (_, b) => (k * batchSize + b) % images.count);
    trials.push(
      prepareTrial(
        model.batch(
          indices.map((i) => imagePixels(images, i)),
          indices.map((i) => images.labels[i]),
        ),
        model.network,
        batchSize,
        model.input.lossMask ?? undefined,
      ),
    );
  }
  return { model, trials };
}

async function runtimes(model, batchSize) {
  const make = (fusedInference) =>
    EpropRuntime.create(model.network, {
      backend: cpuBackend(),
      batchSize,
      mode: "inference",
      parameters: model.parameters,
      fusedInference,
    });
  return { stepped: await make(false), fused: await make(true) };
}

/** Runs `trials` on a runtime; the outputs' fingerprint (predictions, loss bits, spike counts). */
async function runAll(runtime, trials) {
  const parts = [];
  for (const trial of trials) {
    const o = await runtime.runTrial(trial);
    parts.push(
      Array.from(o.predictions).join(","),
      Array.from(o.readoutSumPredictions).join(","),
      Buffer.from(o.loss.buffer).toString("hex"),
      ...Object.values(o.spikeCounts).map((c) => Array.from(c).join(",")),
    );
  }
  return parts.join("|");
}

if (!isMainThread) {
  const { batchSize, count } = workerData;
  const { model, trials } = await trialsOf(batchSize, count);
  const sessions = await runtimes(model, batchSize);
  parentPort.on("message", async ({ kind, from, to }) => {
    const fingerprint = await runAll(sessions[kind], trials.slice(from, to));
    parentPort.postMessage(fingerprint);
  });
  parentPort.postMessage("ready");
} else {
  const batchSize = Number(process.argv[2] ?? 1);
  const threads = Number(process.argv[3] ?? 1);
  const rounds = Number(process.argv[4] ?? 5);
  const perRound = Number(process.argv[5] ?? Math.max(2 * threads, Math.ceil(256 / batchSize)));
  const count = perRound;
  let run;
  if (threads === 1) {
    const { model, trials } = await trialsOf(batchSize, count);
    const sessions = await runtimes(model, batchSize);
    run = (kind) => runAll(sessions[kind], trials);
  } else {
    const workers = Array.from(
      { length: threads },
      () => new Worker(new URL(import.meta.url), { workerData: { batchSize, count } }),
    );
    const next = (worker) => new Promise((resolve) => worker.once("message", resolve));
    await Promise.all(workers.map(next));
    run = async (kind) => {
      const share = Math.ceil(count / threads);
      const parts = await Promise.all(
        workers.map((worker, w) => {
          const reply = next(worker);
          worker.postMessage({ kind, from: w * share, to: Math.min(count, (w + 1) * share) });
          return reply;
        }),
      );
      return parts.join("|");
    };
    run.close = () => workers.forEach((w) => w.terminate());
  }
  // Warm-up (compiles, JIT), and the outputs of both paths compared.
  const reference = await run("stepped");
  const fusedOutputs = await run("fused");
  const identical = reference === fusedOutputs;
  const digits = count * batchSize;
  const rates = { stepped: [], fused: [] };
  for (let r = 0; r < rounds; r++) {
    for (const kind of r % 2 === 0 ? ["stepped", "fused"] : ["fused", "stepped"]) {
      const start = performance.now();
      await run(kind);
      rates[kind].push(digits / ((performance.now() - start) / 1000));
    }
  }
  const median = (v) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
  const best = (v) => Math.max(...v);
  const line = (kind) =>
    `${kind.padEnd(7)}: median ${median(rates[kind]).toFixed(0)} digits/s (${(1000 / median(rates[kind])).toFixed(3)} ms/digit), best ${best(rates[kind]).toFixed(0)} digits/s`;
  console.log(
    `batch ${batchSize}, ${threads} thread${threads > 1 ? "s" : ""}, ${rounds} interleaved rounds of ${digits} digits each`,
  );
  console.log(line("stepped"));
  console.log(line("fused"));
  console.log(
    `fused / stepped: ${(median(rates.fused) / median(rates.stepped)).toFixed(2)}x (median), outputs identical: ${identical}`,
  );
  run.close?.();
  if (!identical) process.exitCode = 1;
}
