/**
 * Stochastic weight averaging (SWA) over the waves of `--lr-waves`: the mean of the weights at
 * the ends of the waves after the first, each taken where its learning rate has come down. The
 * average is a network of its own (`swa.safetensors` in the run folder), evaluated beside the
 * epochs; training itself never sees it.
 */
import { join } from "node:path";
import {
  encodeCheckpoint,
  readCheckpointFile,
  type CheckpointData,
  type ParameterSet,
} from "@snn/eprop";
import { parseLrWaves } from "./lr-schedule";
import type { TrainConfig } from "./train-config";
import type { RunDirectory } from "./run-dir";
import type { SwaState } from "./run-state";

/** The averaged network's file in the run folder. */
export const SWA_CHECKPOINT = "swa.safetensors";

/** The 1-based epochs that end the waves of `--lr-waves` (none without waves). */
export function waveEndEpochs(config: Pick<TrainConfig, "lrWaves">): number[] {
  if (config.lrWaves === undefined) return [];
  let end = 0;
  return parseLrWaves(config.lrWaves).map((wave) => (end += wave.epochs));
}

/**
 * The epochs whose weights the average holds once `epoch` is done: the ends of the second and
 * later waves up to `epoch` (empty before the second wave ends, and without waves).
 */
export function swaEpochs(config: Pick<TrainConfig, "lrWaves">, epoch: number): number[] {
  return waveEndEpochs(config)
    .slice(1)
    .filter((end) => end <= epoch);
}

/**
 * The mean of the checkpoints' parameters (summed in float64, in the order given), with the
 * network, settings and progress of the last one. Their networks must be the same.
 */
export async function averageCheckpoints(paths: readonly string[]): Promise<CheckpointData> {
  if (paths.length === 0) throw new Error("averageCheckpoints: no checkpoints");
  const checkpoints: CheckpointData[] = [];
  for (const path of paths) checkpoints.push(await readCheckpointFile(path));
  const last = checkpoints[checkpoints.length - 1]!;
  const network = JSON.stringify(last.network);
  const parameters: ParameterSet = {};
  for (const [name, values] of Object.entries(last.parameters)) {
    const sum = new Float64Array(values.length);
    for (const [i, checkpoint] of checkpoints.entries()) {
      const mine = checkpoint.parameters[name];
      if (JSON.stringify(checkpoint.network) !== network || mine?.length !== values.length)
        throw new Error(`averageCheckpoints: ${paths[i]} holds another network`);
      for (let j = 0; j < sum.length; j++) sum[j]! += mine[j]!;
    }
    parameters[name] = Float32Array.from(sum, (total) => total / checkpoints.length);
  }
  return { ...last, parameters };
}

/**
 * Averages the checkpoints of the wave ends `epochs` (files `checkpoints` in the run folder, in
 * the same order) into `swa.safetensors`, atomically, and scores the average with `evaluate`
 * (on the test split).
 */
export async function writeSwa(
  run: RunDirectory,
  epochs: readonly number[],
  checkpoints: readonly string[],
  evaluate: (data: CheckpointData) => Promise<{ accuracy: number; loss: number }>,
): Promise<SwaState> {
  const data = await averageCheckpoints(checkpoints.map((name) => join(run.root, name)));
  await run.writeCheckpoint(SWA_CHECKPOINT, encodeCheckpoint(data));
  const test = await evaluate(data);
  return {
    epochs: [...epochs],
    accuracy: test.accuracy,
    ...(Number.isFinite(test.loss) ? { loss: test.loss } : {}),
    checkpoint: SWA_CHECKPOINT,
  };
}
