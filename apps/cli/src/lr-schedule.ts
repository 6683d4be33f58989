/**
 * The learning-rate schedules of `snn train` over the epochs: exponential decay, one cosine, or
 * `--lr-waves` (cosine waves with warm restarts), and where those restarts fall.
 */
import { UsageError } from "./errors";
import type { TrainConfig } from "./train-config";

/** One wave of `--lr-waves`: half a cosine from `lr` towards 0 over `epochs` epochs. */
export interface LrWave {
  readonly epochs: number;
  readonly lr: number;
}

/**
 * The waves of an `--lr-waves` value, `EPOCHS@LR,...` (e.g. `30@0.002,20@0.001`); `where`
 * names the source in errors.
 */
export function parseLrWaves(text: string, where = "--lr-waves"): LrWave[] {
  const waves = text.split(",").map((part) => {
    const match = /^\s*(\d+)\s*@\s*([0-9.eE+-]+)\s*$/.exec(part);
    const epochs = match ? Number(match[1]) : NaN;
    const lr = match ? Number(match[2]) : NaN;
    if (!(Number.isInteger(epochs) && epochs > 0 && Number.isFinite(lr) && lr > 0)) {
      throw new UsageError(
        `${where}: "${part.trim()}" is not a wave; give EPOCHS@LR for each wave, separated by commas, e.g. 30@0.002,20@0.001 (a positive whole number of epochs and a positive learning rate).`,
        "train",
      );
    }
    return { epochs, lr };
  });
  return waves;
}

/** The wave that a 1-based epoch falls in, and the epoch's place in it (0 for its first epoch). */
function waveOfEpoch(
  waves: readonly LrWave[],
  epoch: number,
): { wave: LrWave; index: number; done: number } {
  let first = 1;
  for (const [index, wave] of waves.entries()) {
    if (epoch < first + wave.epochs || index === waves.length - 1)
      return { wave, index, done: Math.max(0, epoch - first) };
    first += wave.epochs;
  }
  throw new Error("waveOfEpoch: no waves");
}

const halfCosine = (lr: number, done: number, epochs: number): number =>
  (lr * (1 + Math.cos((Math.PI * done) / epochs))) / 2;

/**
 * The Adam learning rate of a 1-based epoch. Exponential: lr x lr-decay^(epoch - 1). Cosine:
 * lr x (1 + cos(pi (epoch - 1) / epochs)) / 2, from lr at the first epoch towards 0 after the last.
 * Waves (`--lr-waves`): the same half cosine within each wave, from the wave's own rate.
 */
export function epochLearningRate(
  config: Pick<TrainConfig, "lr" | "lrDecay" | "lrSchedule" | "lrWaves" | "epochs">,
  epoch: number,
): number {
  if (config.lrWaves !== undefined) {
    const { wave, done } = waveOfEpoch(parseLrWaves(config.lrWaves), epoch);
    return halfCosine(wave.lr, done, wave.epochs);
  }
  const done = Math.max(0, epoch - 1);
  if (config.lrSchedule === "cosine") return halfCosine(config.lr, done, config.epochs);
  return done === 0 ? config.lr : config.lr * config.lrDecay ** done;
}

/**
 * Whether a 1-based epoch begins a warm restart: the first epoch of any `--lr-waves` wave but
 * the first, where Adam starts afresh from the weights the previous wave ended with.
 */
export function restartsAtEpoch(config: Pick<TrainConfig, "lrWaves">, epoch: number): boolean {
  if (config.lrWaves === undefined) return false;
  const { index, done } = waveOfEpoch(parseLrWaves(config.lrWaves), epoch);
  return index > 0 && done === 0;
}
