import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SweepError, claimSweepDirectory, parseSweep } from "../src/index";
import { describeSweepDifference } from "../src/sweep-diff";

const before = parseSweep(
  { name: "warm", base: { dataset: "shd", data: "../shd", hidden: 8 }, seeds: [1, 2] },
  "warm.json",
);
const absolute = parseSweep(
  { name: "warm", base: { dataset: "shd", data: "/home/me/shd", hidden: 8 }, seeds: [1, 2] },
  "warm.json",
);

describe("describeSweepDifference", () => {
  it("is empty for the same sweep", () => {
    expect(describeSweepDifference(before, before)).toBe("");
  });

  it("names a changed option, its values, and that relative paths are now absolute", () => {
    expect(describeSweepDifference(before, absolute)).toBe(
      `"data" was "../shd", now "/home/me/shd" (in 2 of 2 runs); relative paths in a sweep file ("data", "initFrom") are now made absolute from the sweep file's folder, so a sweep submitted with relative paths by an older snn has another fingerprint`,
    );
  });

  it("names runs that are gone or new, and options set or unset, without the path note", () => {
    const other = parseSweep(
      { name: "warm", base: { dataset: "shd", data: "../shd" }, seeds: [2, 3] },
      "warm.json",
    );
    expect(describeSweepDifference(before, other)).toBe(
      `runs base-seed1 are gone; runs base-seed3 are new; "hidden" was 8, now unset (in 1 of 2 runs)`,
    );
  });
});

describe("claimSweepDirectory", () => {
  const runs = mkdtempSync(join(tmpdir(), "snn-sweep-diff-"));
  afterAll(() => rmSync(runs, { recursive: true, force: true }));

  it("refuses a different sweep of the same name saying what differs", () => {
    claimSweepDirectory(runs, before);
    expect(claimSweepDirectory(runs, before).existed).toBe(true);
    expect(() => claimSweepDirectory(runs, absolute)).toThrow(SweepError);
    expect(() => claimSweepDirectory(runs, absolute)).toThrow(
      /^a different sweep named "warm" already exists in .*sweep\.json \(created [^)]*\): "data" was "\.\.\/shd", now "\/home\/me\/shd" \(in 2 of 2 runs\); relative paths in a sweep file .* are now made absolute from the sweep file's folder.*; give this sweep another "name", or use another runs folder\.$/,
    );
  });
});
