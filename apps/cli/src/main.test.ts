import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CommandError, DataError, UsageError } from "./errors";
import type { CliIO } from "./io";
import { evaluateCommand } from "./commands/evaluate";
import { COMMANDS, findCommand, main, reportError } from "./main";
import { CLI_VERSION } from "./version";

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

describe("main", () => {
  it("finds commands by their words", () => {
    expect(findCommand(["data", "info", "--json"])?.rest).toEqual(["--json"]);
    expect(findCommand(["train"])?.command.spec.name).toBe("train");
    expect(findCommand(["data"])).toBeUndefined();
    expect(COMMANDS.map((c) => c.spec.name)).toEqual([
      "train",
      "evaluate",
      "infer",
      "data info",
      "data fetch",
      "codegen",
      "gradcheck",
      "bench",
      "sweep run",
      "sweep submit",
      "sweep status",
      "sweep results",
      "worker",
    ]);
    expect(findCommand(["sweep", "run", "s.json"])?.rest).toEqual(["s.json"]);
  });

  it("prints help for 'help COMMAND' and the version", async () => {
    const a = io();
    expect(await main(["help", "evaluate"], a)).toBe(0);
    expect(a.out.startsWith("Usage: snn evaluate [options] [RUN]")).toBe(true);
    const b = io();
    expect(await main(["--version"], b)).toBe(0);
    expect(b.out.trim()).toBe(CLI_VERSION);
  });

  it("keeps the version equal to package.json's", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as {
      version: string;
    };
    expect(CLI_VERSION).toBe(pkg.version);
  });
});

describe("reportError", () => {
  it("usage errors: one line, usage, status 2", () => {
    const a = io();
    expect(reportError(a, new UsageError("bad thing.", "train"))).toBe(2);
    expect(a.err.split("\n")[0]).toBe("snn train: error: bad thing.");
    expect(a.err).toContain("Usage: snn train [options]");
  });

  it("library errors: the first line of the message, status 1, no stack", () => {
    class EpropConfigError extends Error {
      override name = "EpropConfigError";
    }
    const a = io();
    expect(reportError(a, new EpropConfigError("The network is wrong.\nmore detail"))).toBe(1);
    expect(a.err).toBe("snn: error: The network is wrong.\n");
    const b = io();
    expect(reportError(b, new CommandError("failed", 3))).toBe(3);
  });

  it("dataset and checkpoint errors are bad data (status 1), one line without the usage", () => {
    class CheckpointError extends Error {
      override name = "CheckpointError";
    }
    const c = io();
    expect(reportError(c, new CheckpointError("The checkpoint is truncated."))).toBe(1);
    expect(c.err).toBe("snn: error: The checkpoint is truncated.\n");
    for (const name of ["DatasetError", "DatasetFormatError", "DatasetOptionsError"]) {
      class DatasetProblem extends Error {
        override name = name;
      }
      const a = io();
      expect(reportError(a, new DatasetProblem("x.h5 is damaged.\ndetail"), evaluateCommand)).toBe(
        1,
      );
      expect(a.err).toBe("snn evaluate: error: x.h5 is damaged.\n");
    }
    const d = io();
    expect(reportError(d, new DataError("events.json: inputs[0] is wrong."), evaluateCommand)).toBe(
      1,
    );
    expect(d.err).toBe("snn evaluate: error: events.json: inputs[0] is wrong.\n");
  });

  it("unexpected errors: one line that says so, status 1", () => {
    const a = io();
    expect(reportError(a, new TypeError("x is undefined"))).toBe(1);
    expect(a.err).toMatch(/^snn: internal error: x is undefined \(run with SNN_DEBUG=1/);
    expect(a.err.split("\n").filter((l) => l !== "")).toHaveLength(1);
  });
});
