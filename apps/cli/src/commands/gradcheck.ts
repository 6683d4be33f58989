import { existsSync } from "node:fs";
import { resolve } from "node:path";
import {
  DEFAULT_CHUNK_STEPS,
  EpropConfigError,
  GradcheckFixtureError,
  formatGradcheckReport,
  runGradcheck,
} from "@snn/eprop";
import { selectBackend } from "../backends";
import type { Command } from "../command";
import { DataError, UsageError } from "../errors";
import { readJsonFile } from "../json-file";
import { shippedGradientFixture } from "../shipped-fixture";

/**
 * `snn gradcheck [FIXTURE]`: the e-prop gradients of the library (through the normal
 * compile-and-run path on a backend) against a reference fixture; without FIXTURE, the one
 * shipped with the CLI.
 */
export const gradcheckCommand: Command = {
  spec: {
    name: "gradcheck",
    summary: "Check e-prop gradients against a reference fixture (exit 1 if any differs).",
    description: [
      "Loads the network, weights, inputs and targets of a fixture in the format of eprop-gradient.json,",
      "runs the forward pass and e-prop on a backend, and prints per case and per weight matrix the",
      "relative error (max-abs normalised) against the fixture's grad_eprop. Exit status 1 when any",
      "error exceeds 1e-4 or a spike differs; 2 when the fixture cannot be read. Without FIXTURE it checks",
      "the fixture shipped with @snn/cli (fixtures/eprop-gradient.json in its package folder).",
    ].join("\n"),
    positionals: [
      {
        name: "FIXTURE",
        description: "The gradient fixture (JSON); default: the one shipped with @snn/cli.",
      },
    ],
    options: [
      {
        name: "backend",
        kind: "choice",
        choices: ["cpu", "webgpu"],
        description: "Backend to check.",
        defaultText: "cpu",
      },
      {
        name: "eligibility",
        kind: "choice",
        choices: ["perStep", "chunked"],
        description:
          "How eligibility traces are evaluated: every step in the compiled network, or per chunk of steps.",
        defaultText: "perStep",
      },
      {
        name: "chunk-steps",
        kind: "integer",
        positive: true,
        valueName: "N",
        description: "Steps per chunk of chunked eligibility.",
        defaultText: String(DEFAULT_CHUNK_STEPS),
      },
      {
        name: "traces",
        kind: "choice",
        choices: ["host", "device"],
        description:
          "Where chunked eligibility runs: on the host (WebAssembly), or on the backend's device (WGSL; webgpu only).",
        defaultText: "device on webgpu, else host",
      },
      { name: "json", kind: "boolean", description: "Print the full report as JSON." },
    ],
    examples: [
      { comment: "Check the CPU backend against the shipped fixture", command: "snn gradcheck" },
      {
        comment: "Check WebGPU and keep the report",
        command: "snn gradcheck --backend webgpu --json > report.json",
      },
      {
        comment: "Check chunked e-prop with its traces on the GPU, 16 steps per chunk",
        command: "snn gradcheck --backend webgpu --eligibility chunked --chunk-steps 16",
      },
      {
        comment: "Check your own fixture (the format of eprop-gradient.json)",
        command: "snn gradcheck my-fixture.json",
      },
    ],
  },
  async run(parsed, io) {
    const file = parsed.positionals[0] ?? shippedGradientFixture();
    const path = resolve(io.cwd, file);
    if (!existsSync(path)) throw new UsageError(`${file}: no such file.`, "gradcheck");
    const fixture = readJsonFile(path, file, (message) => new DataError(message));
    const eligibility =
      (parsed.values["eligibility"] as "perStep" | "chunked" | undefined) ?? "perStep";
    const chunkSteps = parsed.values["chunk-steps"] as number | undefined;
    const chunkedTraces = parsed.values["traces"] as "host" | "device" | undefined;
    if (eligibility !== "chunked" && (chunkSteps !== undefined || chunkedTraces !== undefined)) {
      throw new UsageError(
        "--chunk-steps and --traces go with --eligibility chunked.",
        "gradcheck",
      );
    }
    const { backend } = await selectBackend(
      (parsed.values["backend"] as string | undefined) ?? "cpu",
      "gradcheck",
    );
    let report;
    try {
      report = await runGradcheck(fixture, {
        backend,
        eligibility,
        ...(chunkSteps !== undefined ? { chunkSteps } : {}),
        ...(chunkedTraces !== undefined ? { chunkedTraces } : {}),
      });
    } catch (error) {
      // A damaged fixture is bad data (1); options the backend cannot run are bad usage (2).
      if (error instanceof GradcheckFixtureError) throw new DataError(`${file}: ${error.message}`);
      if (error instanceof EpropConfigError) throw new UsageError(error.message, "gradcheck");
      throw error;
    }
    io.stdout.write(`${formatGradcheckReport(report, { json: parsed.values["json"] === true })}\n`);
    return report.passed ? 0 : 1;
  },
};
