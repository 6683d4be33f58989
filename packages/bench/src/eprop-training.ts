/**
 * Suite `eprop`: time per e-prop training batch and memory for an LSNN (default 700 Bernoulli
 * inputs -> 256 recurrent ALIF -> 20 readouts, batch 32) at several trial lengths, for the
 * per-step and the chunked forms of @snn/eprop. One training batch = a trial (reset, T steps of
 * forward dynamics and eligibility traces, the gradients) and one Adam step. Reports seconds
 * per batch, the state bytes and the process's peak resident memory, which should stay flat as
 * T grows. Where python3 with PyTorch is installed, it also runs the surrogate-gradient BPTT
 * reference of `reference/bptt_lsnn.py` on the same machine in the same run, and reports the
 * chunked form's speed-up over it.
 */
import type { Backend, SpikeEvents } from "@snn/core";
import { seededRandom } from "@snn/core";
import { defineEpropNetwork, EpropRuntime, prepareTrial, type EligibilityMode } from "@snn/eprop";
import { judgePeer, peerBlasOf, peerFields } from "./fair-peer";
import { runPytorchScript } from "./pytorch";
import type { BenchResult } from "./report";

export interface EpropBenchmarkOptions {
  /** Trial lengths in steps (dt = 1 ms), e.g. [250, 500, 1000, 2000]. */
  readonly steps: readonly number[];
  readonly batchSize: number;
  readonly nIn: number;
  readonly nHidden: number;
  readonly nOut: number;
  readonly backend: Backend;
  /** Input spike probability per channel and step (default 0.05). */
  readonly inputRate?: number;
  /**
   * Timed training batches per trial length (default 3 for the chunked form, 1 for the slow
   * per-step form); the report gives their median and minimum. Each form first trains untimed
   * batches at the first trial length (5 for the chunked form, 1 for the per-step form), so that
   * compilation, first-touch page faults and the JIT's warm-up are not timed.
   */
  readonly batchesPerLength?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Forms of the eligibility evaluation to measure (default both: `perStep` and `chunked`). */
  readonly forms?: readonly EligibilityMode[];
  /** The per-step form is slow: measure it only up to this trial length (default 500 steps). */
  readonly perStepMaxSteps?: number;
  /** Chunk length of the chunked form (default @snn/eprop's). */
  readonly chunkSteps?: number;
  /**
   * Also time surrogate-gradient BPTT in PyTorch (`reference/bptt_lsnn.py`, LIF, the same sizes)
   * where `python3` can import torch (default true; skipped with a note otherwise).
   */
  readonly pytorchReference?: boolean;
}

/** Runs the PyTorch BPTT reference; null (with a logged reason) where python3 or torch is missing. */
function runPytorchReference(
  options: EpropBenchmarkOptions,
  log: (line: string) => void,
): BenchResult[] | null {
  const args = [
    "--steps",
    options.steps.join(","),
    "--batch",
    String(options.batchSize),
    "--inputs",
    String(options.nIn),
    "--hidden",
    String(options.nHidden),
    "--outputs",
    String(options.nOut),
    "--rate",
    String(options.inputRate ?? 0.05),
    "--neuron",
    "lif",
  ];
  const lines = runPytorchScript("bptt_lsnn.py", args, "pytorch BPTT reference", log);
  if (lines === null) return null;
  return lines.map((line) => {
    const r = line as {
      steps: number;
      secondsPerBatch: number;
      minSecondsPerBatch: number;
      peakRssBytes: number;
      torch: string;
      threads: number;
    };
    const peer = peerBlasOf(line);
    log(
      `  pytorch BPTT (LIF) T=${r.steps}: ${r.secondsPerBatch.toFixed(3)} s/batch (median of 3, min ${r.minSecondsPerBatch.toFixed(3)}), peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MiB, torch ${r.torch}, ${r.threads} threads, BLAS ${peer.blas}${peer.blasThreads !== null ? ` (${String(peer.blasThreads)} thread${peer.blasThreads === 1 ? "" : "s"})` : ""}`,
    );
    return {
      case: `pytorch BPTT LIF ${options.nIn}-${options.nHidden}-${options.nOut} batch ${options.batchSize} T=${r.steps}`,
      backend: "pytorch",
      form: "bptt",
      numSteps: r.steps,
      batchSize: options.batchSize,
      secondsPerBatch: r.secondsPerBatch,
      minSecondsPerBatch: r.minSecondsPerBatch,
      peakRssBytes: r.peakRssBytes,
      torch: r.torch,
      threads: r.threads,
      blas: peer.blas,
      blasThreads: peer.blasThreads,
      blasLibraries: peer.blasLibraries,
    };
  });
}

function bernoulliBatch(
  batchSize: number,
  numSteps: number,
  channels: number,
  rate: number,
  seed: number,
): SpikeEvents[] {
  const random = seededRandom(seed);
  const out: SpikeEvents[] = [];
  for (let b = 0; b < batchSize; b++) {
    const steps: number[] = [];
    const units: number[] = [];
    for (let s = 0; s < numSteps; s++) {
      for (let i = 0; i < channels; i++) {
        if (random.uniform() < rate) {
          steps.push(s);
          units.push(i);
        }
      }
    }
    out.push({ steps: Int32Array.from(steps), units: Int32Array.from(units) });
  }
  return out;
}

function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/**
 * The chunked form's speed-ups over the PyTorch BPTT results of the same run, one per trial
 * length both measured. Where the peer is not fair (torch on netlib's reference BLAS, or an
 * unknown one; see ./fair-peer) no ratio is given: the result carries `noRatioReason` instead,
 * and one warning is logged.
 */
export function speedUpsOverBptt(
  results: readonly BenchResult[],
  reference: readonly BenchResult[],
  log: (line: string) => void,
): BenchResult[] {
  const speedUps: BenchResult[] = [];
  let warned = false;
  for (const bptt of reference) {
    const chunked = results.find((r) => r.form === "chunked" && r.numSteps === bptt.numSteps);
    if (!chunked) continue;
    const verdict = judgePeer(bptt, "PyTorch BPTT");
    const base = {
      case: `speed-up chunked over pytorch BPTT T=${String(bptt.numSteps)}`,
      numSteps: bptt.numSteps,
      ...peerFields(verdict.peer),
    };
    if (!verdict.fair) {
      if (!warned) log(`  ${verdict.warning}`);
      warned = true;
      speedUps.push({
        ...base,
        speedUpOverBptt: null,
        speedUpOverBpttOfMinima: null,
        noRatioReason: verdict.reason,
      });
      continue;
    }
    const speedUp = (bptt.secondsPerBatch as number) / (chunked.secondsPerBatch as number);
    const speedUpOfMinima =
      (bptt.minSecondsPerBatch as number) / (chunked.minSecondsPerBatch as number);
    log(
      `  T=${String(bptt.numSteps)}: chunked e-prop is ${speedUp.toFixed(2)}x the speed of PyTorch BPTT (ratio of medians; ${speedUpOfMinima.toFixed(2)}x of minima; same run; ${verdict.describe})`,
    );
    speedUps.push({ ...base, speedUpOverBptt: speedUp, speedUpOverBpttOfMinima: speedUpOfMinima });
  }
  return speedUps;
}

/** Runs the e-prop training benchmark; returns one result per trial length. */
export async function runEpropBenchmark(options: EpropBenchmarkOptions): Promise<BenchResult[]> {
  const { batchSize, nIn, nHidden, nOut, backend } = options;
  const rate = options.inputRate ?? 0.05;

  const log = options.log ?? (() => {});
  const description = defineEpropNetwork({
    input: { size: nIn },
    hidden: [{ name: "hidden", size: nHidden, neuron: "ALIF", recurrent: true }],
    readout: { size: nOut },
    seed: 1,
  });
  const results: BenchResult[] = [];
  for (const form of options.forms ?? (["perStep", "chunked"] as const)) {
    const lengths =
      form === "perStep"
        ? options.steps.filter((T) => T <= (options.perStepMaxSteps ?? 500))
        : options.steps;
    if (lengths.length === 0) continue;
    results.push(...(await measureForm(form, lengths)));
  }
  for (const perStep of results.filter((r) => r.form === "perStep")) {
    const chunked = results.find((r) => r.form === "chunked" && r.numSteps === perStep.numSteps);
    if (!chunked) continue;
    const speedUp = (perStep.secondsPerBatch as number) / (chunked.secondsPerBatch as number);
    log(
      `  T=${String(perStep.numSteps)}: the chunked form is ${speedUp.toFixed(2)}x the speed of the per-step form (ratio of medians, same run)`,
    );
    results.push({
      case: `speed-up chunked over per-step T=${String(perStep.numSteps)}`,
      numSteps: perStep.numSteps,
      speedUpOverPerStep: speedUp,
    });
  }
  if (options.pytorchReference !== false) {
    const reference = runPytorchReference(options, log);
    if (reference) {
      results.push(...reference);
      results.push(...speedUpsOverBptt(results, reference, log));
    }
  }
  return results;

  async function measureForm(
    form: EligibilityMode,
    lengths: readonly number[],
  ): Promise<BenchResult[]> {
    const compileStart = performance.now();
    const session = await EpropRuntime.create(description, {
      backend,
      batchSize,
      mode: "train",
      eligibility: form,
      ...(options.chunkSteps !== undefined ? { chunkSteps: options.chunkSteps } : {}),
    });
    const compileSeconds = (performance.now() - compileStart) / 1000;
    const stateBytes = session.stateBytes;
    const where = session.chunkedTraces ? `, traces on the ${session.chunkedTraces}` : "";
    log(
      `eprop (${form}${where}): ${nIn} -> ${nHidden} ALIF (recurrent) -> ${nOut}, batch ${batchSize}, ${backend.name} backend (${session.runtime.capabilities.device}); state ${(stateBytes / 2 ** 20).toFixed(1)} MiB, compiled in ${compileSeconds.toFixed(2)} s`,
    );
    const labels = Int32Array.from({ length: batchSize }, (_, b) => b % nOut);
    // Warm-up, untimed, at the first length: compilation, first-touch page faults, and the JIT's
    // tier-up of code that runs once per trial (a training run is thousands of batches).
    const warmUpSteps = lengths[0]!;
    const warmUp = prepareTrial(
      {
        inputs: bernoulliBatch(batchSize, warmUpSteps, nIn, rate, 99),
        labels,
        numSteps: warmUpSteps,
      },
      description,
      batchSize,
    );
    for (let k = 0; k < (form === "perStep" ? 1 : 5); k++) {
      await session.runTrial(warmUp);
      await session.applyOptimizer();
    }
    const repeats = options.batchesPerLength ?? (form === "perStep" ? 1 : 3);
    const results: BenchResult[] = [];
    for (const numSteps of lengths) {
      const inputs = bernoulliBatch(batchSize, numSteps, nIn, rate, numSteps);
      const trial = prepareTrial({ inputs, labels, numSteps }, description, batchSize);
      const times: number[] = [];
      let spikes = 0;
      for (let r = 0; r < repeats; r++) {
        const start = performance.now();
        const outputs = await session.runTrial(trial);
        await session.applyOptimizer();
        times.push((performance.now() - start) / 1000);
        spikes = Array.from(outputs.spikeCounts.hidden!).reduce((a, b) => a + b, 0);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const secondsPerBatch = sorted[Math.floor((sorted.length - 1) / 2)]!;
      const memory = process.memoryUsage();
      const result: BenchResult = {
        case: `eprop ${form} ${nIn}-${nHidden}ALIF-${nOut} batch ${batchSize} T=${numSteps}`,
        backend: backend.name,
        form,
        ...(session.chunkedTraces ? { chunkedTraces: session.chunkedTraces } : {}),
        numSteps,
        batchSize,
        secondsPerBatch,
        minSecondsPerBatch: sorted[0]!,
        timedBatches: times.length,
        msPerStep: (secondsPerBatch * 1000) / (numSteps + session.layout.extraSteps),
        hiddenRateHz: spikes / (batchSize * nHidden * numSteps * 1e-3),
        stateBytes: session.stateBytes,
        peakRssBytes: peakRssBytes(),
        heapUsedBytes: memory.heapUsed,
        arrayBuffersBytes: memory.arrayBuffers,
      };
      log(
        `  ${form} T=${numSteps}: ${secondsPerBatch.toFixed(3)} s/batch (median of ${times.length}, min ${sorted[0]!.toFixed(3)}) (${(result.msPerStep as number).toFixed(2)} ms/step), state ${(session.stateBytes / 2 ** 20).toFixed(1)} MiB, peak RSS ${(peakRssBytes() / 2 ** 20).toFixed(0)} MiB, hidden ${(result.hiddenRateHz as number).toFixed(1)} Hz`,
      );
      results.push(result);
    }
    session.dispose();
    return results;
  }
}
