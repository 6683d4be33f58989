/**
 * Reading + batching throughput of @snn/datasets (samples per second), on
 * - the embedded MNIST digits, encoded as spiking sequential MNIST (80 channels, 1588 steps)
 *   and as latency-coded MNIST, and
 * - a synthetic file with the size of SSC's training split (75,466 samples) in the SHD/SSC
 *   HDF5 layout (variable-length float16 times in seconds, uint16 units, uint8 labels,
 *   700 channels, 35 classes), read in file order and in shuffled order.
 *
 * The synthetic file is written with Debian's python3-h5py (`/usr/bin/python3`) into `workDir`
 * and reused on later runs: h5wasm cannot write numeric variable-length data, and writing the
 * real layout means the benchmark measures the reader users run on SHD/SSC. Without h5py the
 * HDF5 cases are reported with `skipped` and `samplesPerSecond: NaN`.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createLatencyMnistDataset,
  createSequentialMnistDataset,
  loadEmbeddedMnist,
  openSsc,
  type SpikeDataset,
} from "@snn/datasets";

/** One measured case. */
export interface DatasetThroughputResult {
  case: string;
  samplesPerSecond: number;
  [k: string]: unknown;
}

/** Options of `runDatasetThroughputBenchmark`. */
export interface DatasetThroughputOptions {
  /** Samples read per case (default 4096; the embedded cases use at most 8004). */
  samples?: number;
  /** Directory for the synthetic SSC-sized file (default: `<tmpdir>/snn-bench-datasets`). */
  workDir?: string;
  /** Mean spikes per sample of the synthetic file (default 1000; Poisson-distributed). */
  spikesPerSample?: number;
  /** Samples in the synthetic file (default 75,466, the SSC training split). */
  fileSamples?: number;
}

const H5PY = "/usr/bin/python3";

const GENERATOR = `
import sys
import h5py, numpy as np
path, n, mean = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
rng = np.random.default_rng(12345)
counts = rng.poisson(mean, n)
times = np.empty(n, dtype=object)
units = np.empty(n, dtype=object)
for i, c in enumerate(counts):
    times[i] = np.sort(rng.uniform(0.0, 1.0, c)).astype(np.float16)
    units[i] = rng.integers(0, 700, c).astype(np.uint16)
with h5py.File(path, "w") as f:
    f.create_dataset("spikes/times", data=times, dtype=h5py.vlen_dtype(np.float16))
    f.create_dataset("spikes/units", data=units, dtype=h5py.vlen_dtype(np.uint16))
    f.create_dataset("labels", data=rng.integers(0, 35, n).astype(np.uint8))
    f.create_dataset("extra/speaker", data=rng.integers(0, 100, n).astype(np.uint16))
    f.create_dataset("extra/keys", data=["class%d" % k for k in range(35)], dtype=h5py.string_dtype())
print(int(counts.sum()))
`;

async function measure(
  dataset: SpikeDataset,
  samples: number,
  batch: { batchSize: number; dt: number; numSteps?: number; shuffleSeed?: number },
): Promise<{ samplesPerSecond: number; samples: number; seconds: number; events: number }> {
  let seen = 0;
  let events = 0;
  const start = performance.now();
  for await (const b of dataset.batches(batch)) {
    for (const input of b.inputs) events += input.steps.length;
    seen += b.inputs.length;
    if (seen >= samples) break;
  }
  const seconds = (performance.now() - start) / 1000;
  return { samplesPerSecond: seen / seconds, samples: seen, seconds, events };
}

function ensureSyntheticFile(
  workDir: string,
  fileSamples: number,
  spikesPerSample: number,
): { file?: string; skipped?: string; generateSeconds?: number } {
  const file = join(workDir, `ssc-synthetic-${fileSamples}x${spikesPerSample}.h5`);
  if (existsSync(file)) return { file };
  if (!existsSync(H5PY))
    return { skipped: `${H5PY} not found; install python3-h5py (apt-get install -y python3-h5py)` };
  mkdirSync(workDir, { recursive: true });
  const partial = `${file}.partial`;
  const start = performance.now();
  const run = spawnSync(
    H5PY,
    ["-c", GENERATOR, partial, String(fileSamples), String(spikesPerSample)],
    { encoding: "utf8" },
  );
  if (run.status !== 0) {
    rmSync(partial, { force: true });
    const reason = (run.stderr || run.error?.message || "").trim().split("\n").pop() ?? "";
    return { skipped: `could not generate the synthetic file with h5py: ${reason}` };
  }
  renameSync(partial, file);
  return { file, generateSeconds: (performance.now() - start) / 1000 };
}

/** Runs the benchmark; see the module comment. */
export async function runDatasetThroughputBenchmark(
  options: DatasetThroughputOptions = {},
): Promise<{ name: string; results: DatasetThroughputResult[] }> {
  const samples = options.samples ?? 4096;
  const workDir = options.workDir ?? join(tmpdir(), "snn-bench-datasets");
  const spikesPerSample = options.spikesPerSample ?? 1000;
  const fileSamples = options.fileSamples ?? 75466;
  const results: DatasetThroughputResult[] = [];

  // Embedded digits.
  const loadStart = performance.now();
  const train = await loadEmbeddedMnist("train");
  const loadSeconds = (performance.now() - loadStart) / 1000;
  const seq = createSequentialMnistDataset(train, { encoding: "80-channel-cue" });
  results.push({
    case: "embedded-mnist/sequential-80ch/shuffled/batch32/dt1",
    ...(await measure(seq, Math.min(samples, train.count), {
      batchSize: 32,
      dt: 1,
      shuffleSeed: 1,
    })),
    numSteps: 1588,
    loadSeconds,
  });
  const latency = createLatencyMnistDataset(train, { downsample: 2 });
  results.push({
    case: "embedded-mnist/latency-14x14/shuffled/batch32/dt1",
    ...(await measure(latency, Math.min(samples, train.count), {
      batchSize: 32,
      dt: 1,
      shuffleSeed: 1,
    })),
    numSteps: 20,
  });

  // Synthetic SSC-sized HDF5 file.
  const synthetic = ensureSyntheticFile(workDir, fileSamples, spikesPerSample);
  const hdfCases = ["ssc-synthetic/file-order/batch32/dt1", "ssc-synthetic/shuffled/batch32/dt1"];
  if (synthetic.file === undefined) {
    for (const c of hdfCases)
      results.push({ case: c, samplesPerSecond: Number.NaN, skipped: synthetic.skipped });
  } else {
    const openStart = performance.now();
    const ds = await openSsc(synthetic.file, { trialDurationMs: 1000 });
    const openSeconds = (performance.now() - openStart) / 1000;
    try {
      const common = {
        file: synthetic.file,
        fileSamples: ds.numSamples,
        spikesPerSample,
        storedTypes: ds.storedTypes,
        openSeconds,
      };
      const generated =
        synthetic.generateSeconds === undefined
          ? {}
          : { generateSeconds: synthetic.generateSeconds };
      results.push({
        case: hdfCases[0]!,
        ...(await measure(ds, samples, { batchSize: 32, dt: 1 })),
        ...common,
        ...generated,
      });
      results.push({
        case: hdfCases[1]!,
        ...(await measure(ds, samples, { batchSize: 32, dt: 1, shuffleSeed: 1 })),
        ...common,
      });
    } finally {
      await ds.close();
    }
  }
  return { name: "datasets-throughput", results };
}
