/**
 * @snn/bench: benchmark suites with JSON reports (`{ name, machine, startedAt, results }`).
 * Run them with `pnpm bench [suite...]` (or `snn bench`), or from code:
 *
 * ```ts
 * import { runBenchmarks } from "@snn/bench";
 * const [report] = await runBenchmarks(["cpu-lif"], { log: console.log });
 * ```
 *
 * Benchmarks report figures; they assert nothing about speed.
 */
import type { AccuracyBenchmarkOptions } from "./accuracy-settings";
import type { AlignmentBenchmarkOptions } from "./gradient-alignment";
import { runCpuLifBenchmark, type CpuLifOptions } from "./cpu-lif";
import type { DatasetThroughputOptions } from "./datasets-throughput";
import type { EpropBenchmarkOptions } from "./eprop-training";
import type { InferenceBenchmarkOptions } from "./inference-latency";
import type { WgslLifOptions } from "./wgsl-lif";
import { machineInfo, type BenchReport, type BenchResult } from "./report";

// The cpu-lif suite's network, hand-written loop and per-case measurement stay in ./cpu-lif:
// the tests and the suite's worker (cpu-lif-worker.ts) import them from there.
export { runCpuLifBenchmark, type CpuLifOptions } from "./cpu-lif";
export type { AccuracyBenchmarkOptions, AccuracyMethod } from "./accuracy-settings";
export { MnistMissingError } from "./mnist-source";
export type { AlignmentBenchmarkOptions, GradientComparison } from "./gradient-alignment";
export { machineInfo, type BenchReport, type BenchResult, type MachineInfo } from "./report";

/** Options of {@link runBenchmarks}, per suite. */
export interface BenchOptions {
  /** Progress lines (default: none). */
  readonly log?: (line: string) => void;
  readonly cpuLif?: CpuLifOptions;
  readonly datasets?: DatasetThroughputOptions;
  readonly wgslLif?: Omit<WgslLifOptions, "backend">;
  readonly eprop?: Partial<Omit<EpropBenchmarkOptions, "backend">>;
  readonly epropWebgpu?: Partial<Omit<EpropBenchmarkOptions, "backend">>;
  readonly epropPaper?: Partial<Omit<EpropBenchmarkOptions, "backend">>;
  readonly inference?: Omit<InferenceBenchmarkOptions, "backend">;
  readonly inferenceWebgpu?: Omit<InferenceBenchmarkOptions, "backend" | "pytorchReference">;
  readonly accuracy?: Omit<AccuracyBenchmarkOptions, "backend" | "log">;
  readonly alignment?: Omit<AlignmentBenchmarkOptions, "backend" | "log">;
}

/** Options for short smoke-test runs of every suite (the `--quick` of the command lines). */
export const QUICK_BENCH_OPTIONS: BenchOptions = {
  cpuLif: { targetSeconds: 0.3 },
  datasets: { samples: 256, fileSamples: 2048 },
  wgslLif: { targetSeconds: 0.3 },
  eprop: { steps: [100], batchSize: 8 },
  epropWebgpu: { steps: [100], batchSize: 4, nIn: 100, nHidden: 64, nOut: 4 },
  epropPaper: { steps: [100], batchSize: 16, batchesPerLength: 1 },
  inference: { hiddenSizes: [64], batchSizes: [1], repeats: 3, throughputBatches: 4 },
  inferenceWebgpu: { hiddenSizes: [64], batchSizes: [1], repeats: 3 },
  accuracy: { hiddenSizes: [16], trainSamples: 64, testSamples: 32, epochs: 1 },
  alignment: { samples: 4 },
};

/** A benchmark suite by name. */
export interface BenchSuite {
  readonly name: string;
  readonly description: string;
  run(options: BenchOptions): Promise<readonly BenchResult[]>;
}

/** Every suite, in the order `all` runs them. */
export const BENCHMARK_SUITES: readonly BenchSuite[] = [
  {
    name: "cpu-lif",
    description:
      "CPU backend vs a hand-written loop: recurrent LIF, 4,000 neurons, 10 % connectivity, batch 1 and 32",
    run: (options) =>
      runCpuLifBenchmark({ ...(options.log ? { log: options.log } : {}), ...options.cpuLif }),
  },
  {
    name: "datasets",
    description: "@snn/datasets reading and batching throughput (embedded MNIST, SSC-sized HDF5)",
    run: async (options) => {
      const { runDatasetThroughputBenchmark } = await import("./datasets-throughput");
      return (await runDatasetThroughputBenchmark(options.datasets ?? {})).results;
    },
  },
  {
    name: "wgsl-lif",
    description: "WebGPU backend: the cpu-lif network at batch 1 and 32, with adapter information",
    run: async (options) => {
      const [{ runWgslLifBenchmark }, { webgpuBackend }] = await Promise.all([
        import("./wgsl-lif"),
        import("@snn/backend-wgsl"),
      ]);
      return runWgslLifBenchmark({
        backend: webgpuBackend(),
        ...(options.log ? { log: options.log } : {}),
        ...options.wgslLif,
      });
    },
  },
  {
    name: "eprop",
    description:
      "e-prop training batch: 700 inputs (5 % Bernoulli) -> 256 recurrent ALIF -> 20 readouts, batch 32, T = 250/500/1000/2000, CPU",
    run: async (options) => {
      const [{ runEpropBenchmark }, { cpuBackend }] = await Promise.all([
        import("./eprop-training"),
        import("@snn/backend-cpu"),
      ]);
      return runEpropBenchmark({
        steps: [250, 500, 1000, 2000],
        batchSize: 32,
        nIn: 700,
        nHidden: 256,
        nOut: 20,
        backend: cpuBackend(),
        ...(options.log ? { log: options.log } : {}),
        ...options.eprop,
      });
    },
  },
  {
    name: "eprop-paper",
    description:
      "the eprop network at the e-prop paper's benchmark size: batch 512, T = 343/685/1370 (SHD lengths), chunked form only, CPU; with the paper's GPU figures",
    run: async (options) => {
      const [{ runEpropBenchmark }, { cpuBackend }] = await Promise.all([
        import("./eprop-training"),
        import("@snn/backend-cpu"),
      ]);
      const settings = {
        steps: [343, 685, 1370],
        batchSize: 512,
        nIn: 700,
        nHidden: 256,
        nOut: 20,
        forms: ["chunked" as const],
        batchesPerLength: 2,
        pytorchReference: false,
        ...options.epropPaper,
      };
      const results = await runEpropBenchmark({
        backend: cpuBackend(),
        ...(options.log ? { log: options.log } : {}),
        ...settings,
      });
      const paperSize =
        settings.batchSize === 512 &&
        settings.nIn === 700 &&
        settings.nHidden === 256 &&
        settings.nOut === 20;
      // Knight & Nowotny's training time per batch of 512 (256 hidden) on one GPU, as quoted in @snn/eprop's README.
      const paper: Record<number, { eprop: number; bptt: number }> = {
        343: { eprop: 1.84, bptt: 0.93 },
        685: { eprop: 3.65, bptt: 3.4 },
        1370: { eprop: 7.29, bptt: 12.8 },
      };
      return results.map((result) => {
        const reported =
          paperSize && result.form === "chunked" ? paper[result.numSteps as number] : undefined;
        if (!reported) return result;
        options.log?.(
          `  T=${String(result.numSteps)}: the paper reports ${reported.eprop} s per batch for e-prop and ${reported.bptt} s for BPTT on one GPU (different hardware and inputs)`,
        );
        return {
          ...result,
          paperEpropGpuSecondsPerBatch: reported.eprop,
          paperBpttGpuSecondsPerBatch: reported.bptt,
        };
      });
    },
  },
  {
    name: "eprop-webgpu",
    description:
      "e-prop training batch on the WebGPU backend: the eprop network, per-step form vs chunked traces on the device, T = 250/500",
    run: async (options) => {
      const [{ runEpropBenchmark }, { webgpuBackend }] = await Promise.all([
        import("./eprop-training"),
        import("@snn/backend-wgsl"),
      ]);
      return runEpropBenchmark({
        steps: [250, 500],
        batchSize: 32,
        nIn: 700,
        nHidden: 256,
        nOut: 20,
        backend: webgpuBackend(),
        pytorchReference: false,
        ...(options.log ? { log: options.log } : {}),
        ...options.epropWebgpu,
      });
    },
  },
  {
    name: "inference",
    description:
      "LSNN inference on spiking sequential MNIST (784 steps, 128/256 ALIF, and the trained @snn/pretrained network; batch 1, 32 and 128; CPU) vs a PyTorch LSTM of the same width, and the batched throughput in digits/s in 1 and 2 threads",
    run: async (options) => {
      const [{ runInferenceBenchmark }, { cpuBackend }] = await Promise.all([
        import("./inference-latency"),
        import("@snn/backend-cpu"),
      ]);
      return runInferenceBenchmark({
        backend: cpuBackend(),
        ...(options.log ? { log: options.log } : {}),
        ...options.inference,
      });
    },
  },
  {
    name: "inference-webgpu",
    description:
      "the inference suite's LSNN on the WebGPU backend (all 784 steps in one submission), without the LSTM",
    run: async (options) => {
      const [{ runInferenceBenchmark }, { webgpuBackend }] = await Promise.all([
        import("./inference-latency"),
        import("@snn/backend-wgsl"),
      ]);
      return runInferenceBenchmark({
        backend: webgpuBackend(),
        pytorchReference: false,
        ...(options.log ? { log: options.log } : {}),
        ...options.inferenceWebgpu,
      });
    },
  },
  {
    name: "accuracy",
    description:
      "e-prop vs surrogate-gradient BPTT (PyTorch, where found) on the same sMNIST spikes, network, initial weights, batches and Adam: test accuracy and wall time (snn train's smnist settings; 2000/500 digits, 1 epoch by default)",
    run: async (options) => {
      const [{ runAccuracyBenchmark }, { cpuBackend }] = await Promise.all([
        import("./accuracy"),
        import("@snn/backend-cpu"),
      ]);
      return runAccuracyBenchmark({
        backend: cpuBackend(),
        ...(options.log ? { log: options.log } : {}),
        ...options.accuracy,
      });
    },
  },
  {
    name: "alignment",
    description:
      "how closely e-prop's gradient follows BPTT's (PyTorch, where found), per parameter group, on MNIST test digits: the pretrained sMNIST LSNN and the same network untrained (cosine, norm ratio, sign agreement)",
    run: async (options) => {
      const [{ runAlignmentBenchmark }, { cpuBackend }] = await Promise.all([
        import("./gradient-alignment"),
        import("@snn/backend-cpu"),
      ]);
      return runAlignmentBenchmark({
        backend: cpuBackend(),
        ...(options.log ? { log: options.log } : {}),
        ...options.alignment,
      });
    },
  },
];

/** Thrown for an unknown suite name. */
export class UnknownBenchmarkError extends Error {
  constructor(name: string) {
    super(
      `Unknown benchmark suite '${name}'. Suites: ${BENCHMARK_SUITES.map((s) => s.name).join(", ")} (or 'all').`,
    );
    this.name = "UnknownBenchmarkError";
  }
}

/**
 * Runs the named suites (`all` or an empty list: every suite) one after another and returns
 * one report per suite.
 */
export async function runBenchmarks(
  names: readonly string[],
  options: BenchOptions = {},
): Promise<BenchReport[]> {
  const wanted =
    names.length === 0 || names.includes("all") ? BENCHMARK_SUITES.map((s) => s.name) : [...names];
  const suites = wanted.map((name) => {
    const suite = BENCHMARK_SUITES.find((s) => s.name === name);
    if (!suite) throw new UnknownBenchmarkError(name);
    return suite;
  });
  const machine = machineInfo();
  const reports: BenchReport[] = [];
  for (const suite of suites) {
    const startedAt = new Date().toISOString();
    options.log?.(`== ${suite.name}: ${suite.description}`);
    const results = await suite.run(options);
    reports.push({ name: suite.name, machine, startedAt, results });
  }
  return reports;
}
