import { describe, expect, it } from "vitest";
import {
  mulHi32,
  normalFromBlock,
  PHILOX_M0,
  philox4x32,
  RANDOM_FIELD,
  randomCounterBase,
  seededRandom,
  streamWord,
  uniformFromBlock,
} from "./rng";

describe("Philox4x32-10", () => {
  it("matches the Random123 known-answer vectors", () => {
    expect(Array.from(philox4x32(0, 0, 0, 0, 0, 0))).toEqual([
      0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8,
    ]);
    expect(
      Array.from(
        philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff),
      ),
    ).toEqual([0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
    expect(
      Array.from(
        philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0),
      ),
    ).toEqual([0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]);
  });

  it("computes the high word of 32x32-bit products exactly", () => {
    const pairs: [number, number][] = [
      [0xffffffff, 0xffffffff],
      [PHILOX_M0, 0x12345678],
      [1, 0xffffffff],
      [0x80000000, 2],
    ];
    for (const [a, b] of pairs) {
      expect(mulHi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });

  it("maps blocks to uniform numbers in [0, 1) and normal numbers", () => {
    expect(uniformFromBlock(0)).toBe(0);
    expect(uniformFromBlock(0xffffffff)).toBe(1 - 2 ** -24);
    expect(normalFromBlock(0xffffffff, 0)).toBeCloseTo(0, 12); // u1 = 1 -> radius 0
    expect(streamWord(3, 0x25)).toBe((3 << 8) | 0x25);
  });

  it("numbers each code site's calls in its own field of the call index", () => {
    // callIndex = field << 5 | (k & 31): call 5 of a projection's preSpike code in stream 3
    expect(randomCounterBase(3, RANDOM_FIELD.preSpike) + 5).toBe(streamWord(3, (2 << 5) | 5));
    const fields = Object.values(RANDOM_FIELD);
    expect(fields.every((f) => Number.isInteger(f) && f >= 0 && f < 8)).toBe(true);
    expect(RANDOM_FIELD.customUpdate).toBe(RANDOM_FIELD.neuron);
  });
});

describe("seededRandom", () => {
  it("is reproducible per seed and differs between seeds", () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });

  it("has the moments of its distributions", () => {
    const random = seededRandom(7);
    const n = 20000;
    let sum = 0;
    let sumSq = 0;
    for (let i = 0; i < n; i++) {
      const x = random.normal();
      sum += x;
      sumSq += x * x;
    }
    // mean within 4 standard errors of 0, variance within 5 % of 1
    expect(Math.abs(sum / n)).toBeLessThan(4 / Math.sqrt(n));
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(0.05);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < n; i++) counts[random.integer(10)]++;
    for (const count of counts)
      expect(Math.abs(count - n / 10)).toBeLessThan(5 * Math.sqrt(n / 10));
  });
});
