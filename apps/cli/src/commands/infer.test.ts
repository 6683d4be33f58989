import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataError, UsageError } from "../errors";
import { readEventsFile } from "./infer";

const dir = mkdtempSync(join(tmpdir(), "snn-infer-events-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string): string => {
  writeFileSync(join(dir, name), content);
  return name;
};
const one = JSON.stringify({ inputs: [{ steps: [0, 3], units: [1, 2] }] });

describe("snn infer --events FILE", () => {
  it("says what the file must hold when it is not an object (null, a list)", () => {
    for (const content of ["null", "[1, 2]", "{}", '{"inputs": []}']) {
      const name = file("bad.json", content);
      expect(() => readEventsFile(name, dir, 4)).toThrow(DataError);
      expect(() => readEventsFile(name, dir, 4)).toThrow(
        /must hold \{ "numSteps": T, "inputs": \[/,
      );
    }
  });

  it("a missing file is a usage error (2); a file that is not JSON or names a channel the network lacks is bad data (1)", () => {
    expect(() => readEventsFile("nothere.json", dir, 4)).toThrow(UsageError);
    const notJson = file("not-json.json", "{ inputs");
    expect(() => readEventsFile(notJson, dir, 4)).toThrow(DataError);
    const wide = file("wide.json", JSON.stringify({ inputs: [{ steps: [0], units: [4] }] }));
    let thrown: unknown;
    try {
      readEventsFile(wide, dir, 4);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DataError);
    expect(thrown).not.toBeInstanceOf(UsageError);
    expect((thrown as DataError).exitCode).toBe(1);
    expect((thrown as Error).message).toMatch(
      /inputs\[0\]\.units\[0\] must be a channel in 0\.\.3/,
    );
  });

  it("runs the model's trial length when the file gives none, or up to the last event when that is longer", () => {
    expect(readEventsFile(file("one.json", one), dir, 4, { defaultSteps: 392 }).numSteps).toBe(392);
    expect(readEventsFile(file("one.json", one), dir, 4, { defaultSteps: 2 }).numSteps).toBe(4);
    expect(readEventsFile(file("one.json", one), dir, 4).numSteps).toBe(4);
    const given = file(
      "given.json",
      JSON.stringify({ numSteps: 50, inputs: [{ steps: [0], units: [0] }] }),
    );
    expect(readEventsFile(given, dir, 4, { defaultSteps: 392 }).numSteps).toBe(50);
  });

  it("says to give numSteps when the trials are shorter than the model's loss window", () => {
    const given = file(
      "short.json",
      JSON.stringify({ numSteps: 10, inputs: [{ steps: [0], units: [0] }] }),
    );
    expect(() => readEventsFile(given, dir, 4, { minSteps: 28 })).toThrow(
      /its trials are 10 steps, but the network's loss covers the last 28; give "numSteps": 28 or more/,
    );
  });

  it("a step of 2^32 never wraps to 0 in the Int32Array, even with SNN_MAX_TRIAL_STEPS raised: the limit itself cannot pass 2^31 - 1", () => {
    const far = file("far.json", JSON.stringify({ inputs: [{ steps: [2 ** 32], units: [3] }] }));
    expect(() => readEventsFile(far, dir, 4)).toThrow(/beyond the limit of 1000000 steps/);
    const saved = process.env["SNN_MAX_TRIAL_STEPS"];
    process.env["SNN_MAX_TRIAL_STEPS"] = "5000000000";
    try {
      expect(() => readEventsFile(far, dir, 4)).toThrow(UsageError);
      expect(() => readEventsFile(far, dir, 4)).toThrow(
        /^SNN_MAX_TRIAL_STEPS must be a positive integer of at most 2147483647 \(steps are 32-bit integers\), got "5000000000"\.$/,
      );
    } finally {
      if (saved === undefined) delete process.env["SNN_MAX_TRIAL_STEPS"];
      else process.env["SNN_MAX_TRIAL_STEPS"] = saved;
    }
  });
});
