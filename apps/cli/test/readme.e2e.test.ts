/**
 * The README's main command, `snn train` with no arguments, shortened by SNN_MAX_BATCHES=1 to
 * one batch per epoch, so CI notices when it breaks.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { datasetDefaults } from "../src/train-config";
import { ensureBuilt, runCli } from "./cli";
import { parseXml, seriesOf } from "./xml";

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-readme-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it("snn train (SNN_MAX_BATCHES=1) trains the default network and writes a complete run", async () => {
  const result = await runCli(["train"], {
    cwd: dir,
    env: { SNN_MAX_BATCHES: "1" },
    timeoutMs: 110_000,
  });
  expect(result.code, result.stderr).toBe(0);
  const defaults = datasetDefaults("smnist");
  // Plain lines (stdout is a pipe): no terminal control characters.
  // eslint-disable-next-line no-control-regex -- no ANSI escape may reach a pipe
  expect(result.stdout).not.toMatch(/\r|\x1b/);
  expect(result.stdout).toContain(
    `79 inputs -> ${defaults.hidden} ALIF (recurrent) -> 10 readouts`,
  );
  expect(result.stdout).toMatch(
    new RegExp(`^epoch ${defaults.epochs}/${defaults.epochs} done in `, "m"),
  );
  expect(result.stdout).toMatch(/^Finished \d+ epochs? in .*: test accuracy \d+\.\d%/m);
  // The run directory appears under ./runs.
  const runs = readdirSync(join(dir, "runs"));
  expect(runs).toHaveLength(1);
  const run = join(dir, "runs", runs[0]!);
  expect(runs[0]).toMatch(/^smnist-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$/);
  const config = JSON.parse(readFileSync(join(run, "config.json"), "utf8")) as Record<
    string,
    unknown
  >;
  expect(config).toMatchObject({
    dataset: "smnist",
    backend: "cpu",
    hidden: defaults.hidden,
    "max-batches": 1,
    data: "full",
  }); // the source it resolved to, pinned
  expect(existsSync(join(run, "best.safetensors"))).toBe(true);
  for (const plot of ["accuracy.svg", "loss.svg", "firing-rate.svg", "raster.svg"]) {
    expect(seriesOf(parseXml(readFileSync(join(run, "plots", plot), "utf8"))).size).toBeGreaterThan(
      0,
    );
  }
}, 120_000);
