import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, runCli } from "./cli";

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-args-"));
  writeFileSync(join(dir, "bad.json"), "{ not json");
  mkdirSync(join(dir, "a-folder"));
  writeFileSync(join(dir, "unknown-key.json"), JSON.stringify({ hidden: 4, colour: "red" }));
  writeFileSync(join(dir, "corrupt.safetensors"), "\x10\x00\x00\x00\x00\x00\x00\x00{not a header");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A usage error: exit 2, stderr = one error line + the usage, no stack trace, nothing on stdout. */
async function expectUsageError(args: string[], message: RegExp): Promise<string> {
  const result = await runCli(args, { cwd: dir });
  expect(result.code, result.stderr).toBe(2);
  const lines = result.stderr.trimEnd().split("\n");
  expect(lines[0]).toMatch(/^snn( [a-z ]+)?: error: /);
  expect(lines[0]).toMatch(message);
  expect(lines.filter((l) => /error:/.test(l))).toHaveLength(1);
  expect(lines[1]).toMatch(/^Usage: snn/);
  expect(lines.length).toBeLessThanOrEqual(3);
  expect(result.stderr).not.toMatch(/^\s+at /m);
  expect(result.stdout).toBe("");
  return lines[0]!;
}

describe("argument errors exit with status 2 and one line", () => {
  it.each([
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["data"], /needs a subcommand: info/],
    [["train", "--bogus"], /unknown option --bogus/],
    [["train", "--dataset", "cifar"], /--dataset must be one of smnist, shd, ssc, latency-mnist/],
    [["train", "--backend", "tpu"], /--backend must be one of cpu, webgpu, auto/],
    [["train", "--epochs", "two"], /--epochs must be a number/],
    [["train", "--batch-size", "0"], /--batch-size must be greater than 0/],
    [["train", "--dataset", "shd"], /needs --data PATH/],
    [
      ["train", "--dataset", "shd", "--data", "no-such-dir"],
      /--data no-such-dir: no such file or directory/,
    ],
    [
      ["train", "--dataset", "smnist", "--data", "no-such-dir"],
      /--data no-such-dir: not a directory/,
    ],
    [["train", "--config", "missing.json"], /--config missing.json: no such file/],
    [["train", "--config", "bad.json"], /bad.json is not valid JSON/],
    [["train", "--config", "unknown-key.json"], /unknown key "colour"/],
    [["train", "--preset", "fast"], /--preset must be one of paper/],
    [["train", "--resume", "nowhere"], /not a run directory/],
    [["evaluate"], /missing RUN/],
    [["evaluate", "nowhere"], /nowhere: no such run directory or checkpoint/],
    [["infer", "nowhere"], /nowhere: no such run directory or checkpoint/],
    [
      ["infer", "nowhere", "--events", "e.json", "--count", "2"],
      /either --events or --samples\/--count/,
    ],
    [["train", "--resume", "nowhere", "--hidden", "8"], /drop --hidden/],
    [["train", "--lr-decay", "1.5"], /--lr-decay must be at most 1/],
    [
      ["train", "--eligibility", "sometimes"],
      /--eligibility must be one of auto, chunked, perStep/,
    ],
    [["train", "--traces", "device", "--backend", "cpu"], /--traces device needs --backend webgpu/],
    [
      ["train", "--eligibility", "perStep", "--chunk-steps", "50"],
      /--chunk-steps and --traces go with chunked eligibility/,
    ],
    [["codegen", "--kernel", "no-such-kernel", "--hidden", "4"], /no kernel name contains it/],
    [["bench", "nonsense"], /unknown benchmark suite 'nonsense'/],
    [["gradcheck", "missing.json"], /missing.json: no such file/],
    [["gradcheck", "bad.json", "--backend", "tpu"], /--backend must be one of cpu, webgpu/],
    [["data", "info", "--dataset", "ssc"], /needs --data PATH/],
  ])("snn %j", async (args, message) => {
    await expectUsageError(args, message);
  });
});

describe("bad data exits with status 1 and one line, without the usage", () => {
  it.each([
    [["evaluate", "corrupt.safetensors"], /checkpoint/i],
    [["infer", "corrupt.safetensors", "--samples", "0"], /checkpoint/i],
    [["codegen", "corrupt.safetensors", "--list"], /checkpoint/i],
    [["gradcheck", "bad.json"], /bad\.json is not valid JSON/],
    // A folder where a JSON file belongs is a file-system problem, not "not valid JSON".
    [["gradcheck", "a-folder"], /cannot read .*a-folder: it is a folder, not a file \(EISDIR\)/],
    [
      ["infer", "--pretrained", "smnist", "--events", "a-folder"],
      /cannot read .*a-folder: it is a folder, not a file \(EISDIR\)/,
    ],
    [["sweep", "run", "a-folder"], /cannot read .*a-folder: it is a folder, not a file \(EISDIR\)/],
    [
      ["train", "--config", "a-folder"],
      /cannot read .*a-folder: it is a folder, not a file \(EISDIR\)/,
    ],
  ])("snn %j", async (args, message) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.code, result.stderr).toBe(1);
    const lines = result.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^snn [a-z ]+: error: /);
    expect(lines[0]).toMatch(message);
    expect(result.stdout).toBe("");
  });
});

describe("help", () => {
  it("lists every command", async () => {
    const result = await runCli(["--help"]);
    expect(result.code).toBe(0);
    for (const command of [
      "train",
      "evaluate",
      "infer",
      "data info",
      "codegen",
      "gradcheck",
      "bench",
    ]) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, "m"));
    }
  });

  it.each([
    ["train"],
    ["evaluate"],
    ["infer"],
    ["data", "info"],
    ["codegen"],
    ["gradcheck"],
    ["bench"],
  ])("snn %s --help has usage, options and examples", async (...command) => {
    const result = await runCli([...command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`Usage: snn ${command.join(" ")} [options]`)).toBe(true);
    expect(result.stdout).toContain("Options:");
    expect(result.stdout).toContain("Examples:");
    expect(result.stdout).toMatch(/^  snn /m);
  });

  it("prints the version", async () => {
    const result = await runCli(["--version"]);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
