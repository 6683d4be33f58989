/** The metrics `Trainer` reports for training batches, epochs and evaluations, and their sums. */
import type { EpropNetworkDescription } from "./description";
import type { TrialOutputs } from "./eprop-runtime";

/** Metrics of one training batch. Loss is cross-entropy summed over masked steps, averaged over examples. */
export interface BatchMetrics {
  /** 0-based epoch and batch within it. */
  readonly epoch: number;
  readonly batch: number;
  readonly examples: number;
  readonly numSteps: number;
  readonly loss: number;
  /** Fraction correct (argmax of the masked sum of softmax outputs). */
  readonly accuracy: number;
  /** Mean firing rate per hidden layer, Hz. */
  readonly firingRatesHz: Readonly<Record<string, number>>;
  /** Adam steps taken so far (including this batch's). */
  readonly optimizerSteps: number;
  /** Wall time of the batch, s. */
  readonly seconds: number;
}

/** Metrics of one epoch (averages over its examples). */
export interface EpochMetrics {
  readonly epoch: number;
  readonly batches: number;
  readonly examples: number;
  readonly loss: number;
  readonly accuracy: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
  readonly seconds: number;
}

/** Metrics of an evaluation. */
export interface EvaluationMetrics {
  readonly examples: number;
  readonly loss: number;
  /** argmax of the masked sum of softmax outputs. */
  readonly accuracy: number;
  /** argmax of the masked sum of readout values (the per-timestep "sum of readout" prediction). */
  readonly readoutSumAccuracy: number;
  readonly firingRatesHz: Readonly<Record<string, number>>;
}

/** Sums of trial outputs over examples: loss, correct predictions, and spikes per hidden layer. */
export class Accumulator {
  examples = 0;
  loss = 0;
  correct = 0;
  readoutSumCorrect = 0;
  private readonly spikes = new Map<string, number>();
  private readonly neuronSeconds = new Map<string, number>();

  constructor(private readonly description: EpropNetworkDescription) {}

  add(outputs: TrialOutputs, labels: Int32Array): void {
    const dtSeconds = this.description.dt / 1000;
    for (let b = 0; b < outputs.count; b++) {
      this.examples++;
      this.loss += outputs.loss[b]!;
      if (outputs.predictions[b] === labels[b]) this.correct++;
      if (outputs.readoutSumPredictions[b] === labels[b]) this.readoutSumCorrect++;
      for (const layer of this.description.hidden) {
        this.spikes.set(
          layer.name,
          (this.spikes.get(layer.name) ?? 0) + outputs.spikeCounts[layer.name]![b]!,
        );
        this.neuronSeconds.set(
          layer.name,
          (this.neuronSeconds.get(layer.name) ?? 0) + layer.size * outputs.numSteps * dtSeconds,
        );
      }
    }
  }

  rates(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const layer of this.description.hidden) {
      const time = this.neuronSeconds.get(layer.name) ?? 0;
      out[layer.name] = time > 0 ? (this.spikes.get(layer.name) ?? 0) / time : 0;
    }
    return out;
  }

  mean(value: number): number {
    return this.examples > 0 ? value / this.examples : 0;
  }
}
