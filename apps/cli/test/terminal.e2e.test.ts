/**
 * End-to-end, the CLI as a person at a terminal meets it: Ctrl-C during `snn train` on a real
 * pseudo-terminal (util-linux `script`), "did you mean" for typos, and WebGPU runs without
 * Dawn's "Couldn't load Vulkan" noise.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APP_DIR, BIN, ensureBuilt, runCli } from "./cli";

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), "snn-cli-terminal-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The lines a terminal shows for `raw` output: "\r" returns to column 0, ESC[2K erases the line. */
function renderTerminal(raw: string): string[] {
  const lines: string[] = [];
  let line: string[] = [];
  let column = 0;
  for (let i = 0; i < raw.length; i++) {
    if (raw.startsWith("\x1b[2K", i)) {
      line = [];
      i += 3;
    } else if (raw[i] === "\r") {
      column = 0;
    } else if (raw[i] === "\n") {
      lines.push(line.join(""));
      line = [];
      column = 0;
    } else {
      line[column++] = raw[i]!;
    }
  }
  if (line.length > 0) lines.push(line.join(""));
  return lines;
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/** Runs the built CLI on a pseudo-terminal and types Ctrl-C once `pressWhen` matches its output. */
function onTerminal(
  args: readonly string[],
  pressWhen: RegExp,
): Promise<{ code: number | null; raw: string }> {
  const command = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  return new Promise((resolve, reject) => {
    // -q quiet, -f flush at once, -e the command's exit status, -c the command; no typescript file.
    const child = spawn("script", ["-qfec", command, "/dev/null"], {
      cwd: dir,
      env: { ...process.env, SNN_MAX_BATCHES: "", SNN_DEBUG: "" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let raw = "";
    let pressed = false;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`no exit in 90 s; output so far:\n${raw}`));
    }, 90_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      raw += chunk;
      if (!pressed && pressWhen.test(raw)) {
        pressed = true;
        child.stdin.write("\x03"); // the terminal turns it into SIGINT for the command
      }
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (raw += chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, raw });
    });
  });
}

const hasScript = spawnSync("script", ["--version"], { encoding: "utf8" }).status === 0;

describe("Ctrl-C on a terminal", () => {
  it.runIf(hasScript)(
    "clears the progress bar and prints the resume hint once, on its own line",
    async () => {
      const args = [
        "train",
        "--data",
        "embedded",
        "--hidden",
        "24",
        "--batch-size",
        "4",
        "--train-samples",
        "64",
        "--test-samples",
        "8",
        "--epochs",
        "1",
        "--steps",
        "500",
        "--seed",
        "7",
        "--out",
        "tty-run",
      ];
      const { code, raw } = await onTerminal(args, /ETA/);
      expect(code, raw).toBe(130);
      expect(raw).toContain("\x1b[2K"); // it did take the terminal's code path: a redrawn bar
      expect(raw.match(/Resume with:/g)).toHaveLength(1);
      const screen = renderTerminal(raw.replace(/\r\n/g, "\n"));
      const hint = screen.filter((l) => l.includes("Resume with:"));
      expect(hint).toEqual([
        expect.stringMatching(
          /^Interrupted at epoch 1, after batch \d+ of 16; checkpoint saved to .*interrupted\.safetensors\. Resume with: snn train --resume tty-run$/,
        ),
      ]);
      expect(
        screen.filter((l) => l.startsWith("Interrupted: finishing the current batch")),
      ).toHaveLength(1);
      // no line mixes the bar with a message
      expect(screen.filter((l) => l.includes("ETA") && l.includes("Interrupted"))).toEqual([]);
    },
    120_000,
  );
});

describe("did you mean", () => {
  it.each([
    [["trian"], /unknown command 'trian' \(did you mean 'train'\?\)/],
    [["data", "fecth", "shd"], /unknown subcommand 'data fecth' \(did you mean 'fetch'\?\)/],
    [
      ["train", "--epoch", "3"],
      /unknown option --epoch for 'snn train' \(did you mean '--epochs'\?\)/,
    ],
    [
      ["train", "--dataset", "shdd"],
      /--dataset must be one of .*; got "shdd" \(did you mean 'shd'\?\)/,
    ],
    [["data", "fetch", "mnsit"], /unknown dataset 'mnsit' \(did you mean 'mnist'\?\)/],
  ])("snn %j", async (args, message) => {
    const result = await runCli(args, { cwd: dir });
    expect(result.code).toBe(2);
    expect(result.stderr.split("\n")[0]).toMatch(message);
  });
});

describe("WebGPU runs", () => {
  it("do not print Dawn's \"Couldn't load Vulkan\" warning (its other output is untouched)", async () => {
    const result = await runCli(
      [
        "gradcheck",
        join(APP_DIR, "test", "fixtures", "eprop-gradient.json"),
        "--backend",
        "webgpu",
      ],
      { cwd: dir },
    );
    if (result.code === 2 && /cannot run here|install/i.test(result.stderr)) return; // no WebGPU on this machine: nothing to check
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/Couldn't load Vulkan|BackendVk\.cpp/);
  }, 60_000);
});
