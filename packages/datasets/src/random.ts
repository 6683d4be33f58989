import { DatasetOptionsError } from "./errors";

function mix32(x: number): number {
  // murmur3 finalizer: a bijective avalanche on 32-bit integers
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * A small seeded pseudo-random generator (mulberry32). `next()` returns a float in [0, 1),
 * `nextInt(n)` an integer in [0, n). The same seed always gives the same sequence.
 */
export class SeededRandom {
  private state: number;

  /** `seed`: any finite integer (values beyond 32 bits are folded in). */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new DatasetOptionsError(`The random seed must be a safe integer, got ${seed}.`);
    }
    const low = seed >>> 0;
    const high = Math.floor(seed / 0x100000000) >>> 0;
    this.state = mix32(low ^ mix32(high + 0x9e3779b9));
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [0, n). */
  nextInt(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The seed for one epoch of a shuffle: different for each (seed, epoch) pair. */
function epochSeed(seed: number, epoch: number): number {
  if (!Number.isSafeInteger(seed)) {
    throw new DatasetOptionsError(`shuffleSeed must be a safe integer, got ${seed}.`);
  }
  if (!Number.isSafeInteger(epoch) || epoch < 0) {
    throw new DatasetOptionsError(`epoch must be a non-negative integer, got ${epoch}.`);
  }
  const s = new SeededRandom(seed);
  const a = Math.floor(s.next() * 4294967296);
  return (
    mix32(a ^ mix32((epoch >>> 0) + 0x7f4a7c15)) + Math.floor(epoch / 0x100000000) * 4294967296
  );
}

/**
 * A permutation of 0..count-1 (Fisher-Yates) determined by `seed` and `epoch`: the same pair
 * always gives the same order, different epochs give different orders.
 */
export function shuffledOrder(count: number, seed: number, epoch = 0): Int32Array {
  if (!Number.isSafeInteger(count) || count < 0) {
    throw new DatasetOptionsError(`count must be a non-negative integer, got ${count}.`);
  }
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const rng = new SeededRandom(epochSeed(seed, epoch));
  for (let i = count - 1; i > 0; i--) {
    const j = rng.nextInt(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}
