/**
 * `snn evaluate` and `snn infer` refuse data with more classes than the network has readouts,
 * even when its input channels match (in this process, on a real checkpoint).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { cpuBackend } from "@snn/backend-cpu";
import { defineEpropNetwork, Trainer } from "@snn/eprop";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { CliIO } from "../io";
import { main } from "../main";

/** The SHD test files: 700 channels, 4 classes. */
const SHD_FIXTURE = join(import.meta.dirname, "..", "..", "test", "fixtures", "shd");

let dir: string;
let checkpoint: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "snn-cli-evaluate-classes-"));
  // SHD's 700 channels, but 3 readouts: the data's 4th class has no readout to be scored on.
  const trainer = new Trainer({
    network: defineEpropNetwork({
      input: { size: 700 },
      hidden: [{ name: "hidden", size: 4, neuron: "ALIF" }],
      readout: { size: 3 },
      seed: 1,
    }),
    backend: cpuBackend(),
    numSteps: 10,
  });
  try {
    checkpoint = join(dir, "three-classes.safetensors");
    writeFileSync(checkpoint, await trainer.encodeCheckpoint());
  } finally {
    trainer.dispose();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const state = { out: "", err: "" };
  const io: CliIO = {
    stdout: { write: (t: string) => ((state.out += t), true) },
    stderr: { write: (t: string) => ((state.err += t), true) },
    env: {},
    cwd: dir,
    onInterrupt: () => () => {},
    exit: () => {},
  };
  const code = await main([...args], io);
  return { code, ...state };
}

it.each(["evaluate", "infer"])(
  "snn %s of a 3-readout network on 4-class data with the same channels: exit 1, naming both, no accuracy",
  async (command) => {
    const result = await cli([command, checkpoint, "--dataset", "shd", "--data", SHD_FIXTURE]);
    expect(result.code, result.err).toBe(1);
    expect(result.err).toMatch(
      new RegExp(
        `^snn ${command}: error: SHD shd_test\\.h5 has 4 classes but the network has 3 readouts; choose data that fits it\\.$`,
        "m",
      ),
    );
    expect(result.err).not.toMatch(/^Usage: /m);
    expect(result.out).not.toMatch(/accuracy/);
  },
);
