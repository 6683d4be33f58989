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

/**
 * Random labels for `count` elements (drawn from `random` after whatever the caller drew), and
 * per-element loss masks of a `T`-step trial, cycling over three kinds: every step, the steps
 * from `lastFrom * T` on, and a window from a third to a half of the trial.
 */
export function labelsAndMixedMasks(
  random: ReturnType<typeof seededRandom>,
  numClasses: number,
  count: number,
  T: number,
  lastFrom: number,
): { labels: Int32Array; lossMask: Float32Array } {
  const labels = Int32Array.from({ length: count }, () =>
    Math.floor(random.uniform() * numClasses),
  );
  const lossMask = new Float32Array(count * T);
  for (let b = 0; b < count; b++)
    for (let s = 0; s < T; s++) {
      const kind = b % 3;
      const inLast = s >= lastFrom * T;
      const inWindow = s >= T / 3 && s < T / 2;
      lossMask[b * T + s] = (kind === 0 ? true : kind === 1 ? inLast : inWindow) ? 1 : 0;
    }
  return { labels, lossMask };
}
