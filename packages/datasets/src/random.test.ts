import { describe, expect, it } from "vitest";
import { SeededRandom, shuffledOrder } from "./random";

describe("SeededRandom and shuffledOrder", () => {
  it("repeats its sequence for a seed and differs between seeds", () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const sa = Array.from({ length: 20 }, () => a.next());
    expect(sa).toEqual(Array.from({ length: 20 }, () => b.next()));
    expect(sa).not.toEqual(Array.from({ length: 20 }, () => c.next()));
    for (const x of sa) expect(x >= 0 && x < 1).toBe(true);
  });

  it("is roughly uniform", () => {
    const r = new SeededRandom(7);
    const bins = new Array<number>(10).fill(0);
    for (let i = 0; i < 20000; i++) bins[r.nextInt(10)]!++;
    for (const n of bins) expect(Math.abs(n - 2000)).toBeLessThan(200);
  });

  it("gives a permutation that depends on seed and epoch only", () => {
    const p = shuffledOrder(100, 5, 0);
    expect(Array.from(p).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(shuffledOrder(100, 5, 0))).toEqual(Array.from(p));
    expect(Array.from(shuffledOrder(100, 5, 1))).not.toEqual(Array.from(p));
    expect(Array.from(shuffledOrder(100, 6, 0))).not.toEqual(Array.from(p));
    expect(Array.from(p)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("accepts large seeds and rejects non-integers", () => {
    // reproducible, and not the order of a small seed (the high bits count)
    expect(Array.from(shuffledOrder(10, 2 ** 40, 3))).toEqual(
      Array.from(shuffledOrder(10, 2 ** 40, 3)),
    );
    expect(Array.from(shuffledOrder(30, 2 ** 40, 3))).not.toEqual(
      Array.from(shuffledOrder(30, 0, 3)),
    );
    expect(Array.from(shuffledOrder(30, 2 ** 40))).not.toEqual(
      Array.from(shuffledOrder(30, 2 ** 40 + 2 ** 33)),
    );
    expect(() => new SeededRandom(1.5)).toThrow(/seed/);
    expect(() => shuffledOrder(10, 1, -1)).toThrow(/epoch/);
  });
});
