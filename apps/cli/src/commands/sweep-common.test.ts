import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expandRuns } from "@snn/sweep";
import { afterAll, describe, expect, it } from "vitest";
import { readSweepFile } from "./sweep-common";

const dir = mkdtempSync(join(tmpdir(), "snn-sweep-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("readSweepFile", () => {
  it("makes relative data and initFrom paths absolute from the sweep file's folder, not the current one", () => {
    mkdirSync(join(dir, "sweeps"));
    mkdirSync(join(dir, "elsewhere"));
    writeFileSync(
      join(dir, "sweeps", "shd.json"),
      JSON.stringify({
        name: "paths",
        base: { dataset: "shd", data: "../data/shd", epochs: 1 },
        configs: [{ name: "warm", initFrom: "start.safetensors" }, { data: "/abs/shd" }],
      }),
    );
    const spec = readSweepFile("../sweeps/shd.json", join(dir, "elsewhere"), "sweep run");
    const runs = expandRuns(spec);
    expect(runs[0]!.train).toMatchObject({
      data: join(dir, "data", "shd"),
      initFrom: join(dir, "sweeps", "start.safetensors"),
    });
    expect(runs[1]!.train["data"]).toBe("/abs/shd");
    // The names stay as written.
    expect(spec.configs.map((c) => c.name)).toEqual(["warm", "data-_abs_shd"]);
  });

  it("keeps full and embedded MNIST as they are", () => {
    writeFileSync(
      join(dir, "mnist.json"),
      JSON.stringify({ name: "m", base: { dataset: "smnist", data: "embedded" } }),
    );
    expect(expandRuns(readSweepFile("mnist.json", dir, "sweep run"))[0]!.train["data"]).toBe(
      "embedded",
    );
  });
});
