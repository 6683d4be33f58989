import { describe, expect, it } from "vitest";
import { SweepFileError, expandRuns, parseSweep, sweepFingerprint } from "../src/index";

describe("parseSweep", () => {
  it("refuses a grid whose product is too large before expanding it (no memory filled, at once)", () => {
    const grid = Object.fromEntries(
      Array.from({ length: 10 }, (_, k) => [`option${k}`, Array.from({ length: 10 }, (_, v) => v)]),
    );
    const started = performance.now();
    expect(() => parseSweep({ name: "huge", grid }, "huge.json")).toThrow(SweepFileError);
    expect(() => parseSweep({ name: "huge", grid }, "huge.json")).toThrow(
      /^huge\.json: the sweep has 10 x 10 x 10 x 10 x 10 x 10 x 10 x 10 x 10 x 10 configurations x 1 seeds = 10000000000 runs, more than 10000 without a budget; shrink the grid, or allow more with "budget": \{"maxRuns": N\} \(at most 1000000\)\.$/,
    );
    expect(() =>
      parseSweep({ name: "huge", grid, budget: { maxRuns: 1e12 } }, "huge.json"),
    ).toThrow(/more than a sweep may have \(1000000\)/);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("allows more than 10000 runs with a budget that says so", () => {
    const grid = { hidden: Array.from({ length: 200 }, (_, k) => k + 1) };
    expect(() => parseSweep({ name: "big", grid, seeds: 60 }, "big.json")).toThrow(
      /12000 runs, more than 10000 without a budget/,
    );
    const spec = parseSweep({ name: "big", grid, seeds: 60, budget: { maxRuns: 12000 } }, "b");
    expect(expandRuns(spec)).toHaveLength(12000);
  });

  it("expands a grid into every combination, named by its overrides", () => {
    const spec = parseSweep(
      {
        name: "s",
        base: { epochs: 2 },
        grid: { hidden: [8, 16], neuron: ["lif", "alif"] },
        seeds: 2,
      },
      "s.json",
    );
    expect(spec.configs.map((c) => c.name)).toEqual([
      "hidden-8_neuron-lif",
      "hidden-8_neuron-alif",
      "hidden-16_neuron-lif",
      "hidden-16_neuron-alif",
    ]);
    expect(spec.seeds).toEqual([1, 2]);
    const runs = expandRuns(spec);
    expect(runs).toHaveLength(8);
    expect(runs[1]).toEqual({
      id: "hidden-8_neuron-lif-seed2",
      config: "hidden-8_neuron-lif",
      seed: 2,
      train: { epochs: 2, hidden: 8, neuron: "lif", seed: 2 },
    });
  });

  it("takes a list of named or unnamed configurations", () => {
    const spec = parseSweep(
      {
        name: "s",
        configs: [
          { name: "small", hidden: 8 },
          { hidden: 16, feedforward: true },
        ],
        seeds: [3],
      },
      "s.json",
    );
    expect(spec.configs).toEqual([
      { name: "small", overrides: { hidden: 8 } },
      { name: "hidden-16_feedforward-true", overrides: { hidden: 16, feedforward: true } },
    ]);
  });

  it.each([
    [[], /must hold a JSON object/],
    [{ name: "a b" }, /"name" must be/],
    [{ name: "s", extra: 1 }, /unknown key "extra"/],
    [{ name: "s", base: { seed: 3 } }, /"seed" is set by the sweep's "seeds"/],
    [{ name: "s", grid: { seed: [1, 2] } }, /may not vary "seed"/],
    [{ name: "s", grid: { hidden: [8, 8] } }, /lists a value twice/],
    [{ name: "s", configs: [{ hidden: 8 }, { hidden: 8 }] }, /both named "hidden-8"/],
    [{ name: "s", seeds: 0 }, /from 1 to 10000/],
    [{ name: "s", seeds: [1.5] }, /whole numbers/],
    [{ name: "s", budget: { maxHours: 1 } }, /unknown key "budget"."maxHours"/],
    [{ name: "s", budget: { maxRuns: -1 } }, /greater than 0/],
    [{ name: "s", base: { hidden: [8] } }, /"hidden" must be a string, number, boolean or null/],
  ])("refuses %j with a message naming the problem", (json, message) => {
    expect(() => parseSweep(json, "s.json")).toThrow(SweepFileError);
    expect(() => parseSweep(json, "s.json")).toThrow(message);
  });

  it("checks every configuration with the caller's check", () => {
    const seen: string[] = [];
    parseSweep({ name: "s", grid: { hidden: [8, 16] } }, "s.json", (config, where) =>
      seen.push(`${where}: ${config["hidden"]}`),
    );
    expect(seen).toEqual([
      's.json: configuration "hidden-8": 8',
      's.json: configuration "hidden-16": 16',
    ]);
    expect(() =>
      parseSweep({ name: "s", grid: { hidden: [0] } }, "s.json", (c, where) => {
        if ((c["hidden"] as number) < 1)
          throw new SweepFileError(`${where}: "hidden" must be at least 1`);
      }),
    ).toThrow('s.json: configuration "hidden-0": "hidden" must be at least 1');
  });

  it("fingerprints what a sweep computes", () => {
    const a = parseSweep({ name: "s", grid: { hidden: [8] }, seeds: 2 }, "a.json");
    const b = parseSweep(
      { name: "s", configs: [{ hidden: 8 }], seeds: [1, 2], budget: { maxRuns: 9 } },
      "b.json",
    );
    const c = parseSweep({ name: "s", grid: { hidden: [8] }, seeds: 3 }, "c.json");
    expect(sweepFingerprint(a)).toBe(sweepFingerprint(b));
    expect(sweepFingerprint(a)).not.toBe(sweepFingerprint(c));
  });
});
