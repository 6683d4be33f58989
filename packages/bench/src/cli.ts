/**
 * Command line of @snn/bench: `node dist/cli.js [suite...] [--out report.json] [--quick]`.
 * Prints progress and a summary, writes the JSON reports (an array of `BenchReport`) with
 * `--out`, and exits with 1 when a suite found a correctness problem (e.g. the generated and
 * hand-written networks disagree).
 */
import { writeFileSync } from "node:fs";
import { BENCHMARK_SUITES, QUICK_BENCH_OPTIONS, runBenchmarks, UnknownBenchmarkError, type BenchOptions } from "./index";

const USAGE = `usage: bench [suite...] [--out report.json] [--quick]
suites: ${BENCHMARK_SUITES.map((s) => `\n  ${s.name.padEnd(10)} ${s.description}`).join("")}
  all        every suite (the default)
--quick: shorter runs (about 0.3 s per case) for a smoke test`;

async function main(argv: readonly string[]): Promise<number> {
  const names: string[] = [];
  let out: string | undefined;
  let quick = false;
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
      console.error(`unknown option ${arg}\n${USAGE}`);
      return 2;
    } else names.push(arg);
  }
  const options: BenchOptions = {
    log: (line) => console.log(line),
    ...(quick ? QUICK_BENCH_OPTIONS : {}),
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
    const mismatches = reports.flatMap((r) => r.results.filter((x) => x.spikeCountsMatch === false || x.identicalVoltages === false || x.spikesMatchCpu === false).map((x) => x.case));
    if (mismatches.length > 0) {
      console.error(`generated kernels and their references (the hand-written loop, or the CPU backend) differ in: ${mismatches.join(", ")}`);
      return 1;
    }
    return 0;
  } catch (error) {
    if (error instanceof UnknownBenchmarkError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
