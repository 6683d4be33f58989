/**
 * Runs a PyTorch reference script of `reference/` in the same benchmark run, where a python
 * with torch is found: `SNN_PYTHON`, `python3` on the PATH, or the system's `/usr/bin/python3`
 * (Debian: `apt install python3-torch libopenblas0-pthread`).
 */
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The pythons tried, in order: `SNN_PYTHON`, `python3`, `/usr/bin/python3`. */
export function pythonCandidates(): string[] {
  return [process.env.SNN_PYTHON, "python3", "/usr/bin/python3"].filter(
    (p): p is string => typeof p === "string" && p !== "",
  );
}

let torchPython: string | null | undefined;

/** The first python of {@link pythonCandidates} that can import torch, or null (looked up once per process). */
export function findTorchPython(): string | null {
  if (torchPython === undefined) {
    torchPython =
      pythonCandidates().find(
        (candidate) =>
          spawnSync(candidate, ["-c", "import torch"], { encoding: "utf8" }).status === 0,
      ) ?? null;
  }
  return torchPython;
}

/** Why no python with torch was found, for log lines and skipped tests. */
export function noTorchReason(): string {
  return `no python with torch among ${pythonCandidates().join(", ")} (install it, e.g. apt install python3-torch libopenblas0-pthread, or set SNN_PYTHON)`;
}

/** Absolute path of `reference/<script>`. */
export function referenceScript(script: string): string {
  return fileURLToPath(new URL(`../reference/${script}`, import.meta.url));
}

/** The python with torch and the script's path for a run, logged; null (reason logged) where no python has torch. */
function locateRun(
  script: string,
  args: readonly string[],
  label: string,
  log: (line: string) => void,
): { python: string; path: string } | null {
  const path = referenceScript(script);
  const python = findTorchPython();
  if (python === null) {
    log(`${label}: skipped, ${noTorchReason()}`);
    return null;
  }
  log(`${label}: ${python} ${[path, ...args].join(" ")}`);
  return { python, path };
}

// torch's own threads do the parallel work; OpenBLAS threads on top of them oversubscribe the cores.
const PYTHON_ENV = { ...process.env, OPENBLAS_NUM_THREADS: "1" };

/**
 * Runs `reference/<script>` with `args` and returns the JSON objects it printed (one per line),
 * or null, with a logged reason, where no python has torch or the script failed. `label` names
 * the reference in the log lines.
 */
export function runPytorchScript(
  script: string,
  args: readonly string[],
  label: string,
  log: (line: string) => void,
): Record<string, unknown>[] | null {
  const found = locateRun(script, args, label, log);
  if (found === null) return null;
  const { python, path } = found;
  const run = spawnSync(python, [path, ...args], {
    encoding: "utf8",
    timeout: 30 * 60 * 1000,
    env: PYTHON_ENV,
    maxBuffer: 256 * 2 ** 20,
  });
  if (run.error || run.status !== 0) {
    const reason = run.error
      ? run.error.message
      : (run.stderr.trim().split("\n").at(-1) ?? `exit ${String(run.status)}`);
    log(`  failed: ${reason}`);
    return null;
  }
  return run.stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Options of {@link runPytorchScriptStreaming}. */
export interface StreamingRunOptions {
  /** Called with each JSON object as the script prints it (progress). */
  readonly onObject?: (object: Record<string, unknown>) => void;
  /** Kill the script after this long (default: no limit; training runs can take hours). */
  readonly timeoutMs?: number;
  /** Extra environment variables. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Like {@link runPytorchScript}, but asynchronous, for long runs: the JSON lines reach
 * `onObject` as they are printed, and the script's stderr lines (warnings) are logged. Resolves
 * to every JSON object, or null (reason logged) where no python has torch or the script failed.
 */
export async function runPytorchScriptStreaming(
  script: string,
  args: readonly string[],
  label: string,
  log: (line: string) => void,
  options: StreamingRunOptions = {},
): Promise<Record<string, unknown>[] | null> {
  const found = locateRun(script, args, label, log);
  if (found === null) return null;
  const { python, path } = found;
  return new Promise((resolve) => {
    const child = spawn(python, [path, ...args], {
      env: { ...PYTHON_ENV, ...options.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const objects: Record<string, unknown>[] = [];
    let stdout = "";
    const stderrLines: string[] = [];
    let stderr = "";
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
        : undefined;
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      stdout += chunk;
      let newline: number;
      while ((newline = stdout.indexOf("\n")) >= 0) {
        const line = stdout.slice(0, newline).trim();
        stdout = stdout.slice(newline + 1);
        if (!line.startsWith("{")) continue;
        const object = JSON.parse(line) as Record<string, unknown>;
        objects.push(object);
        options.onObject?.(object);
      }
    });
    child.stderr.on("data", (chunk: string) => {
      stderr += chunk;
      let newline: number;
      while ((newline = stderr.indexOf("\n")) >= 0) {
        const line = stderr.slice(0, newline);
        stderr = stderr.slice(newline + 1);
        stderrLines.push(line);
        if (line.startsWith("warning:")) log(`  ${label}: ${line}`);
      }
    });
    child.on("error", (error) => {
      if (timer) clearTimeout(timer);
      log(`  failed: ${error.message}`);
      resolve(null);
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      if (code !== 0) {
        if (stderr.trim() !== "") stderrLines.push(stderr.trim());
        const reason =
          signal !== null
            ? `killed by ${signal}${options.timeoutMs !== undefined ? ` (time limit ${options.timeoutMs / 1000} s)` : ""}`
            : (stderrLines.filter((l) => l.trim() !== "").at(-1) ?? `exit ${String(code)}`);
        log(`  failed: ${reason}`);
        resolve(null);
        return;
      }
      const rest = stdout.trim();
      if (rest.startsWith("{")) {
        const object = JSON.parse(rest) as Record<string, unknown>;
        objects.push(object);
        options.onObject?.(object);
      }
      resolve(objects);
    });
  });
}
