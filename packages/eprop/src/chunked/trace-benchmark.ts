/**
 * Micro-benchmark of the chunked e-prop kernels (not a test: no assertions, not in the suite,
 * not exported). Sizes of the benchmark network: 700 Bernoulli inputs (5 % per step) and 256
 * recurrent ALIF neurons (~3 % per step) into 256 neurons, batch 32, K = 250. Prints the best of
 * REPEATS runs per kernel and chunk position (on one thread), with the cost per spike and block
 * of 16 post neurons and the rows that took the dense path (docs/chunked-eprop.md, "Dense
 * spikes"), and an estimate for a T = 1000 training batch.
 *
 * Run from packages/eprop (esbuild is not a dependency of this package; pnpm keeps one here):
 *   ../../node_modules/.pnpm/node_modules/.bin/esbuild src/chunked/trace-benchmark.ts --bundle --platform=node --format=esm \
 *     --alias:@snn/core=../core/src/index.ts --alias:@snn/core/internal=../core/src/internal.ts \
 *     --outfile=/tmp/trace-benchmark.mjs && node /tmp/trace-benchmark.mjs
 * Environment: K (steps per chunk), REPEATS, LIF=1 (non-adaptive layer), RATE_IN, RATE_REC
 * (spike probabilities per step), COLD=1 (evict the caches before each timed call).
 */
import {
  WasmFeedback,
  WasmTraceEngine,
  WasmTraceLayer,
  WasmTraceProjection,
  type ChunkSpikes,
  type ChunkPosition,
} from "./trace-engine";

function lcg(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
}

function randomSpikes(
  random: () => number,
  batchSize: number,
  K: number,
  numPre: number,
  rate: number,
): ChunkSpikes[] {
  const out: ChunkSpikes[] = [];
  for (let b = 0; b < batchSize; b++) {
    const steps: number[] = [];
    const units: number[] = [];
    for (let u = 0; u < K; u++) {
      for (let i = 0; i < numPre; i++) {
        if (random() < rate) {
          steps.push(u);
          units.push(i);
        }
      }
    }
    out.push({ steps: Int32Array.from(steps), units: Int32Array.from(units), count: units.length });
  }
  return out;
}

/** The fastest of the repeats (the least disturbed by other work on the machine). */
function best(values: number[]): number {
  return Math.min(...values);
}

function runBenchmark(): void {
  const batchSize = 32;
  const numPost = 256;
  const K = Number(process.env["K"] ?? 250);
  const repeats = Number(process.env["REPEATS"] ?? 7);
  const adaptive = process.env["LIF"] === undefined;
  const random = lcg(1);
  // One thread: each kernel is timed on its own (the queued calls run at engine.wait()).
  const engine = new WasmTraceEngine({ thread: false });
  const beta = Array.from({ length: numPost }, () => (adaptive ? 0.5 + random() : 0));
  const layer = new WasmTraceLayer(
    engine,
    batchSize,
    numPost,
    K,
    beta,
    Math.exp(-1 / 20),
    Math.exp(-1 / 2000),
    Math.exp(-1 / 20),
  );
  const rateIn = Number(process.env["RATE_IN"] ?? 0.05);
  const rateRecurrent = Number(process.env["RATE_REC"] ?? 0.03);
  const projections = [
    {
      name: `input 700 (${100 * rateIn} %)`,
      projection: new WasmTraceProjection(layer, 700),
      spikes: randomSpikes(random, batchSize, K, 700, rateIn),
    },
    {
      name: `recurrent 256 (${100 * rateRecurrent} %)`,
      projection: new WasmTraceProjection(layer, 256),
      spikes: randomSpikes(random, batchSize, K, 256, rateRecurrent),
    },
  ];
  // K steps of psi, L and r, [batch][numPost] each
  const stepValues = Array.from({ length: K }, () => {
    const psi = new Float32Array(batchSize * numPost).map(() =>
      random() < 0.3 ? 0 : 0.5 * random(),
    );
    const L = new Float32Array(batchSize * numPost).map(() => random() - 0.5);
    const r = new Float32Array(batchSize * numPost).map(() => 0.01 * (random() - 0.5));
    return { psi, L, r };
  });
  const recordChunk = () => {
    layer.startTrial();
    for (const { psi, L, r } of stepValues) layer.setStep(psi, L, r);
  };
  const positions: { name: string; position: ChunkPosition }[] = [
    { name: "first", position: { first: true, last: false } },
    { name: "middle", position: { first: false, last: false } },
    { name: "last", position: { first: false, last: true } },
  ];
  // COLD=1: write 64 MiB of other memory before each timed call, as the forward pass does between chunks in training.
  const scratch = process.env["COLD"] ? new Float32Array(16 * 1024 * 1024) : null;
  const evictCaches = scratch ? () => scratch.fill(Math.random()) : null;
  const nOut = 20;
  const feedback = new WasmFeedback(engine, batchSize, numPost, nOut);
  feedback.setWeights(Float32Array.from({ length: numPost * nOut }, () => random() - 0.5));
  const errors = Float32Array.from({ length: batchSize * nOut }, () => random() - 0.5);
  const learningSignal = new Float32Array(batchSize * numPost);
  const feedbackTimes: number[] = [];
  const record: number[] = [];
  const backward: number[] = [];
  const applied = new Map<string, number[]>();
  /** Per timed application: spikes x blocks, and the rows on the dense path. */
  const work = new Map<string, { spikeBlocks: number; denseRows: number }>();
  for (let repeat = 0; repeat < repeats; repeat++) {
    if (evictCaches) evictCaches();
    const f0 = performance.now();
    for (let u = 0; u < K; u++) feedback.compute(errors, learningSignal);
    feedbackTimes.push(performance.now() - f0);
    const start = performance.now();
    recordChunk();
    record.push(performance.now() - start);
    if (evictCaches) evictCaches();
    const t0 = performance.now();
    layer.computeCoefficients();
    engine.wait();
    backward.push(performance.now() - t0);
    for (const { name, projection, spikes } of projections) {
      for (const { name: where, position } of positions) {
        if (evictCaches) evictCaches();
        const t1 = performance.now();
        projection.apply(spikes, position);
        engine.wait();
        const key = `apply ${name}, ${where} chunk`;
        applied.set(key, [...(applied.get(key) ?? []), performance.now() - t1]);
        const spikeCount = spikes.reduce((sum, list) => sum + list.count, 0);
        work.set(key, {
          spikeBlocks: spikeCount * layer.numBlocks,
          denseRows: projection.denseRows().lastChunk,
        });
      }
    }
  }
  console.log(
    `batch ${batchSize}, post ${numPost}, K ${K}, ${adaptive ? "ALIF" : "LIF"}, ${scratch ? "cold" : "warm"} caches; best of ${repeats} (ms per chunk, all batch elements)`,
  );
  console.log(
    `feedback (learning signal, ${nOut} outputs) x ${K}: ${best(feedbackTimes).toFixed(2)} ms`,
  );
  console.log(`setStep x ${K} (record the chunk): ${best(record).toFixed(2)} ms`);
  console.log(`backward (coefficients): ${best(backward).toFixed(2)} ms`);
  let middle = 0;
  for (const [key, times] of applied) {
    const { spikeBlocks, denseRows } = work.get(key)!;
    console.log(
      `${key}: ${best(times).toFixed(2)} ms, ${((best(times) * 1e6) / Math.max(spikeBlocks, 1)).toFixed(2)} ns per spike and block, ${denseRows} dense rows`,
    );
    if (key.includes("middle")) middle += best(times);
  }
  const T = 1000;
  const chunks = T / K;
  let perTrial =
    chunks * (best(feedbackTimes) + best(record) + best(backward)) + (chunks - 2) * middle;
  for (const [key, times] of applied) if (!key.includes("middle")) perTrial += best(times);
  console.log(`estimated kernels per T = ${T} training batch: ${(perTrial / 1000).toFixed(3)} s`);
}

runBenchmark();
