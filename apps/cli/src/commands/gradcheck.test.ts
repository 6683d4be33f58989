import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { CliIO } from "../io";
import { main } from "../main";

/** The gradient fixture that @snn/eprop's tests use (computed independently of this project). */
const FIXTURE = fileURLToPath(
  new URL("../../../../packages/eprop/test-data/eprop-gradient.json", import.meta.url),
);

function io(): CliIO & { out: string; err: string } {
  const state = {
    out: "",
    err: "",
    stdout: { write: (t: string) => (state.out += t) },
    stderr: { write: (t: string) => (state.err += t) },
    env: {},
    cwd: process.cwd(),
    onInterrupt: () => () => {},
    exit: () => {},
  };
  return state;
}

describe("snn gradcheck", () => {
  it("checks the per-step and the chunked evaluation on the CPU, naming which it checked", async () => {
    const perStep = io();
    expect(await main(["gradcheck", FIXTURE], perStep)).toBe(0);
    expect(perStep.out).toMatch(/on the cpu backend, per-step eligibility/);
    expect(perStep.out).toMatch(/All 6 cases passed\./);
    const chunked = io();
    expect(
      await main(
        ["gradcheck", FIXTURE, "--eligibility", "chunked", "--chunk-steps", "16", "--json"],
        chunked,
      ),
    ).toBe(0);
    const report = JSON.parse(chunked.out) as {
      passed: boolean;
      eligibility: string;
      chunkSteps: number;
      chunkedTraces: string;
    };
    expect(report).toMatchObject({
      passed: true,
      eligibility: "chunked",
      chunkSteps: 16,
      chunkedTraces: "host",
    });
  });

  it("says what is wrong with the options (status 2)", async () => {
    const stray = io();
    expect(await main(["gradcheck", FIXTURE, "--traces", "host"], stray)).toBe(2);
    expect(stray.err).toMatch(/--chunk-steps and --traces go with --eligibility chunked/);
    const noDevice = io();
    expect(
      await main(
        ["gradcheck", FIXTURE, "--eligibility", "chunked", "--traces", "device"],
        noDevice,
      ),
    ).toBe(2);
    expect(noDevice.err).toMatch(
      /chunkedTraces: 'device' needs a backend whose kernels can be extended on its device/,
    );
  });
});
