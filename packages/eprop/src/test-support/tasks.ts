/** Small synthetic tasks for tests (not exported from the package). */
import { seededRandom, type SpikeEvents } from "@snn/core";
import { inMemoryDataset, type InMemoryExample } from "../in-memory-dataset";

/**
 * Frozen-pattern classification: each class has a fixed random spatio-temporal spike pattern
 * (each channel fires with probability `rate` per step); an example is its class pattern with
 * each spike dropped with probability `drop` plus background noise spikes with probability
 * `noise` per channel and step.
 */
export function patternTask(options: {
  numChannels: number;
  numClasses: number;
  numSteps: number;
  examples: number;
  seed: number;
  rate?: number;
  drop?: number;
  noise?: number;
  /** Input only in steps 0 .. patternSteps-1 (default: the whole trial). */
  patternSteps?: number;
}) {
  const { numChannels, numClasses, numSteps, examples, seed } = options;
  const rate = options.rate ?? 0.05;
  const drop = options.drop ?? 0.2;
  const noise = options.noise ?? 0.01;
  const patternSteps = options.patternSteps ?? numSteps;
  const random = seededRandom(seed);
  const templates: boolean[][][] = [];
  for (let c = 0; c < numClasses; c++) {
    templates.push(
      Array.from({ length: numSteps }, () =>
        Array.from({ length: numChannels }, () => random.uniform() < rate),
      ),
    );
  }
  const list: InMemoryExample[] = [];
  for (let e = 0; e < examples; e++) {
    const label = e % numClasses;
    const steps: number[] = [];
    const units: number[] = [];
    for (let s = 0; s < patternSteps; s++) {
      for (let i = 0; i < numChannels; i++) {
        const spike = templates[label]![s]![i]
          ? random.uniform() >= drop
          : random.uniform() < noise;
        if (spike) {
          steps.push(s);
          units.push(i);
        }
      }
    }
    const input: SpikeEvents = { steps: Int32Array.from(steps), units: Int32Array.from(units) };
    list.push({ input, label });
  }
  return inMemoryDataset({ numChannels, numClasses, numSteps, examples: list });
}
