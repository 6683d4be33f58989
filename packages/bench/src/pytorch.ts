/**
 * Runs a PyTorch reference script of `reference/` in the same benchmark run, where a python
 * with torch is found: `SNN_PYTHON`, `python3` on the PATH, or the system's `/usr/bin/python3`
 * (Debian: `apt install python3-torch libopenblas0-pthread`).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

/**
 * Runs `reference/<script>` with `args` and returns the JSON objects it printed (one per line),
 * or null, with a logged reason, where no python has torch or the script failed. `label` names
 * the reference in the log lines.
 */
export function runPytorchScript(script: string, args: readonly string[], label: string, log: (line: string) => void): Record<string, unknown>[] | null {
  const path = fileURLToPath(new URL(`../reference/${script}`, import.meta.url));
  const candidates = [process.env.SNN_PYTHON, "python3", "/usr/bin/python3"].filter((p): p is string => typeof p === "string" && p !== "");
  const python = candidates.find((candidate) => spawnSync(candidate, ["-c", "import torch"], { encoding: "utf8" }).status === 0);
  if (python === undefined) {
    log(`${label}: skipped, no python with torch among ${candidates.join(", ")} (install it, e.g. apt install python3-torch libopenblas0-pthread, or set SNN_PYTHON)`);
    return null;
  }
  log(`${label}: ${python} ${[path, ...args].join(" ")}`);
  // torch's own threads do the parallel work; OpenBLAS threads on top of them oversubscribe the cores.
  const run = spawnSync(python, [path, ...args], { encoding: "utf8", timeout: 30 * 60 * 1000, env: { ...process.env, OPENBLAS_NUM_THREADS: "1" } });
  if (run.error || run.status !== 0) {
    const reason = run.error ? run.error.message : (run.stderr.trim().split("\n").at(-1) ?? `exit ${String(run.status)}`);
    log(`  failed: ${reason}`);
    return null;
  }
  return run.stdout
    .trim()
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
