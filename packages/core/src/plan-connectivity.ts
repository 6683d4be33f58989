/** A projection's connectivity: validation and the compressed sparse rows of sparse and random connectivity. */
import { NetworkValidationError } from "./errors";
import type { Connectivity } from "./network";
import type { PlannedConnectivity } from "./plan-types";
import { seededRandom } from "./rng";

export function planConnectivity(
  connectivity: Connectivity,
  nPre: number,
  nPost: number,
  where: string,
): { planned: PlannedConnectivity; numSynapses: number } {
  switch (connectivity?.kind) {
    case "dense":
      return { planned: { kind: "dense" }, numSynapses: nPre * nPost };
    case "oneToOne":
      if (nPre !== nPost) {
        throw new NetworkValidationError(
          `${where}: one-to-one connectivity needs populations of equal size, got ${nPre} and ${nPost}.`,
        );
      }
      return { planned: { kind: "oneToOne" }, numSynapses: nPre };
    case "sparse": {
      const { pre, post } = connectivity;
      if (typeof pre?.length !== "number" || typeof post?.length !== "number") {
        throw new NetworkValidationError(
          `${where}: sparse connectivity needs 'pre' and 'post' arrays of synapse indices ({ kind: "sparse", pre: [...], post: [...] }).`,
        );
      }
      if (pre.length !== post.length) {
        throw new NetworkValidationError(
          `${where}: sparse connectivity has ${pre.length} pre indices but ${post.length} post indices; they must pair up.`,
        );
      }
      const pairs: number[] = [];
      for (let s = 0; s < pre.length; s++) {
        const i = pre[s]!;
        const j = post[s]!;
        if (!Number.isInteger(i) || i < 0 || i >= nPre)
          throw new NetworkValidationError(
            `${where}: synapse ${s} has pre index ${i}, outside 0..${nPre - 1}.`,
          );
        if (!Number.isInteger(j) || j < 0 || j >= nPost)
          throw new NetworkValidationError(
            `${where}: synapse ${s} has post index ${j}, outside 0..${nPost - 1}.`,
          );
        pairs.push(i * nPost + j);
      }
      return sparseFromKeys(pairs, nPre, nPost, where);
    }
    case "fixedProbability": {
      const { probability, seed } = connectivity;
      if (!(probability >= 0 && probability <= 1)) {
        throw new NetworkValidationError(
          `${where}: connection probability must be in [0, 1], got ${probability}.`,
        );
      }
      const random = seededRandom(seed);
      const keys: number[] = [];
      for (let i = 0; i < nPre; i++) {
        for (let j = 0; j < nPost; j++) {
          if (
            random.uniform() < probability &&
            (connectivity.allowSelfConnections !== false || i !== j)
          )
            keys.push(i * nPost + j);
        }
      }
      return sparseFromKeys(keys, nPre, nPost, where);
    }
    default:
      throw new NetworkValidationError(
        `${where}: unknown connectivity ${JSON.stringify((connectivity as { kind?: unknown })?.kind)}; use dense, oneToOne, sparse or fixedProbability.`,
      );
  }
}

function sparseFromKeys(
  keys: number[],
  nPre: number,
  nPost: number,
  where: string,
): { planned: PlannedConnectivity; numSynapses: number } {
  keys.sort((a, b) => a - b);
  const rowStart = new Int32Array(nPre + 1);
  const postIndex = new Int32Array(keys.length);
  const preIndex = new Int32Array(keys.length);
  for (let s = 0; s < keys.length; s++) {
    const key = keys[s]!;
    if (s > 0 && keys[s - 1] === key) {
      throw new NetworkValidationError(
        `${where}: the synapse ${Math.floor(key / nPost)} -> ${key % nPost} is listed twice.`,
      );
    }
    preIndex[s] = Math.floor(key / nPost);
    postIndex[s] = key % nPost;
    rowStart[preIndex[s]! + 1]!++;
  }
  for (let i = 0; i < nPre; i++) rowStart[i + 1]! += rowStart[i]!;
  return { planned: { kind: "sparse", rowStart, postIndex, preIndex }, numSynapses: keys.length };
}
