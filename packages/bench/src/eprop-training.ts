/**
 * Suite `eprop` (to be wired in by the bench owner): time per e-prop training batch and memory
 * for an LSNN (default 700 Bernoulli inputs -> 256 recurrent ALIF -> 20 readouts, batch 32) at
 * several trial lengths. One training batch = reset, T + 4 steps of forward dynamics and
 * eligibility traces, batch reduction of the gradients and one Adam step (the per-timestep
 * form of @snn/eprop). Reports seconds per batch, the backend's state bytes and the process's
 * peak resident memory, which should stay flat as T grows.
 */
import type { Backend, SpikeEvents } from "@snn/core";
import { seededRandom } from "@snn/core";
import { defineEpropNetwork, EpropRuntime, prepareTrial, type EligibilityMode } from "@snn/eprop";
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
  /** Timed training batches per trial length (default 1; the first is preceded by an untimed warm-up of 20 steps). */
  readonly batchesPerLength?: number;
  /** Progress lines. */
  readonly log?: (line: string) => void;
  /** Forms of the eligibility evaluation to measure (default both: `perStep` and `chunked`). */
  readonly forms?: readonly EligibilityMode[];
  /** The per-step form is slow: measure it only up to this trial length (default 500 steps). */
  readonly perStepMaxSteps?: number;
  /** Chunk length of the chunked form (default @snn/eprop's). */
  readonly chunkSteps?: number;
}

function bernoulliBatch(batchSize: number, numSteps: number, channels: number, rate: number, seed: number): SpikeEvents[] {
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

/** Runs the e-prop training benchmark; returns one result per trial length. */
export async function runEpropBenchmark(options: EpropBenchmarkOptions): Promise<BenchResult[]> {
  const { batchSize, nIn, nHidden, nOut, backend } = options;
  const rate = options.inputRate ?? 0.05;
  const repeats = options.batchesPerLength ?? 1;
  const log = options.log ?? (() => {});
  const description = defineEpropNetwork({
    input: { size: nIn },
    hidden: [{ name: "hidden", size: nHidden, neuron: "ALIF", recurrent: true }],
    readout: { size: nOut },
    seed: 1,
  });
  const results: BenchResult[] = [];
  for (const form of options.forms ?? (["perStep", "chunked"] as const)) {
    const lengths = form === "perStep" ? options.steps.filter((T) => T <= (options.perStepMaxSteps ?? 500)) : options.steps;
    if (lengths.length === 0) continue;
    results.push(...(await measureForm(form, lengths)));
  }
  return results;

  async function measureForm(form: EligibilityMode, lengths: readonly number[]): Promise<BenchResult[]> {
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
    log(`eprop (${form}): ${nIn} -> ${nHidden} ALIF (recurrent) -> ${nOut}, batch ${batchSize}, ${backend.name} backend; state ${(stateBytes / 2 ** 20).toFixed(1)} MiB, compiled in ${compileSeconds.toFixed(2)} s`);
    const labels = Int32Array.from({ length: batchSize }, (_, b) => b % nOut);
    // Warm-up: let the JIT compile every kernel.
    await session.runTrial(prepareTrial({ inputs: bernoulliBatch(batchSize, 20, nIn, rate, 99), labels, numSteps: 20 }, description, batchSize));
    await session.applyOptimizer();
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
      const secondsPerBatch = times.reduce((a, b) => a + b, 0) / times.length;
      const memory = process.memoryUsage();
      const result: BenchResult = {
        case: `eprop ${form} ${nIn}-${nHidden}ALIF-${nOut} batch ${batchSize} T=${numSteps}`,
        backend: backend.name,
        form,
        numSteps,
        batchSize,
        secondsPerBatch,
        msPerStep: (secondsPerBatch * 1000) / (numSteps + session.layout.extraSteps),
        hiddenRateHz: spikes / (batchSize * nHidden * numSteps * 1e-3),
        stateBytes: session.stateBytes,
        peakRssBytes: peakRssBytes(),
        heapUsedBytes: memory.heapUsed,
        arrayBuffersBytes: memory.arrayBuffers,
      };
      log(
        `  ${form} T=${numSteps}: ${secondsPerBatch.toFixed(2)} s/batch (${(result.msPerStep as number).toFixed(2)} ms/step), state ${(session.stateBytes / 2 ** 20).toFixed(1)} MiB, peak RSS ${(peakRssBytes() / 2 ** 20).toFixed(0)} MiB, hidden ${(result.hiddenRateHz as number).toFixed(1)} Hz`,
      );
      results.push(result);
    }
    session.dispose();
    return results;
  }
}
