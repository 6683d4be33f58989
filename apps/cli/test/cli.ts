/**
 * Runs the BUILT `snn` command (dist/bin.js) as a child process, as a user would. Builds it
 * first when dist/bin.js is missing (e.g. when vitest runs without turbo's build step).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const APP_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const BIN = join(APP_DIR, "dist", "bin.js");
/** A data cache folder that does not exist (see `runCli`). */
const NO_DATA_CACHE = join(tmpdir(), "snn-cli-tests-no-data-cache");

/** Builds dist/bin.js with tsup when it does not exist. */
export function ensureBuilt(): void {
  if (existsSync(BIN)) return;
  const result = spawnSync("pnpm", ["exec", "tsup"], { cwd: APP_DIR, encoding: "utf8" });
  if (result.status !== 0 || !existsSync(BIN))
    throw new Error(`building the CLI failed:\n${result.stdout}\n${result.stderr}`);
}

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly cwd?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Called with the child and its output so far each time stdout grows. */
  readonly onStdout?: (child: ChildProcess, stdout: string) => void;
  /** Called with the child and its error output so far each time stderr grows. */
  readonly onStderr?: (child: ChildProcess, stderr: string) => void;
  readonly timeoutMs?: number;
}

/** Runs `node dist/bin.js ...args` and collects its output. */
export function runCli(args: readonly string[], options: RunOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd ?? APP_DIR,
      // An empty data cache: SHD/SSC runs without --data must not depend on this machine's ~/.cache/snn.
      env: {
        ...process.env,
        SNN_MAX_BATCHES: "",
        SNN_DEBUG: "",
        SNN_DATA_DIR: NO_DATA_CACHE,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `snn ${args.join(" ")} did not finish in ${options.timeoutMs ?? 90_000} ms.\nstdout:\n${stdout}\nstderr:\n${stderr}`,
        ),
      );
    }, options.timeoutMs ?? 90_000);
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk;
      options.onStdout?.(child, stdout);
    });
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk;
      options.onStderr?.(child, stderr);
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}
