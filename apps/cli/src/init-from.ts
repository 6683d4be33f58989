/**
 * `snn train --init-from`: the starting parameters of a new run, taken from a checkpoint or a
 * run folder instead of drawn at random (fine-tuning, or a warm restart of a finished run).
 * Only parameters travel; the optimiser state, schedule and progress start afresh.
 */
import { statSync } from "node:fs";
import { join, resolve } from "node:path";
import {
  parametersOf,
  readCheckpointFile,
  type EpropNetworkDescription,
  type ParameterSet,
} from "@snn/eprop";
import { CommandError, UsageError, fileSystemError } from "./errors";

/**
 * The absolute path of the checkpoint that `--init-from PATH` names: PATH itself when it is a
 * file, or a run folder's `best.safetensors` (else its latest epoch checkpoint is not guessed:
 * the user names it).
 */
export function resolveInitCheckpoint(path: string, cwd: string): string {
  const absolute = resolve(cwd, path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(absolute).isDirectory();
  } catch (error) {
    throw new UsageError(
      `--init-from ${path}: ${fileSystemError(error)?.message ?? String(error)} Give a checkpoint (.safetensors) or a run folder.`,
      "train",
    );
  }
  if (!isDirectory) return absolute;
  const best = join(absolute, "best.safetensors");
  try {
    if (statSync(best).isFile()) return best;
  } catch {
    // reported below
  }
  throw new UsageError(
    `--init-from ${path}: the folder has no best.safetensors (is it a run folder with a finished epoch?); give a checkpoint file, e.g. ${join(path, "checkpoints", "epoch-0001.safetensors")}.`,
    "train",
  );
}

/**
 * The parameters stored in a checkpoint, checked against the network the new run trains: the
 * same parameter names and shapes (time constants, regularisation and seed may differ).
 */
export async function initialParametersFrom(
  checkpoint: string,
  network: EpropNetworkDescription,
): Promise<ParameterSet> {
  let data: Awaited<ReturnType<typeof readCheckpointFile>>;
  try {
    data = await readCheckpointFile(checkpoint);
  } catch (error) {
    if (error instanceof Error && error.name === "CheckpointError")
      throw new CommandError(`--init-from ${checkpoint}: ${error.message}`);
    throw error;
  }
  const theirs = new Map(parametersOf(data.network).map((p) => [p.name, p.shape]));
  for (const mine of parametersOf(network)) {
    const shape = theirs.get(mine.name);
    if (shape === undefined || shape.join("x") !== mine.shape.join("x")) {
      throw new CommandError(
        `--init-from ${checkpoint}: its network does not fit this run's: parameter '${mine.name}' is ${shape === undefined ? "missing" : `[${shape.join(", ")}]`} there and [${mine.shape.join(", ")}] here. Give the same --hidden, --neuron, --feedforward and input encoding as the run that wrote it.`,
      );
    }
  }
  const out: ParameterSet = {};
  for (const info of parametersOf(network)) out[info.name] = data.parameters[info.name]!.slice();
  return out;
}
