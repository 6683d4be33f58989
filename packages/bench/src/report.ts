/** The JSON report format of @snn/bench. */
import { cpus, totalmem } from "node:os";

/** The machine a benchmark ran on. */
export interface MachineInfo {
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly cpuModel: string;
  readonly cpuCount: number;
  readonly memoryBytes: number;
}

/** One measured case of a suite: `case` names it; the other fields are its figures (units in the names). */
export interface BenchResult {
  readonly case: string;
  readonly [field: string]: unknown;
}

/** What one suite reports: `{ name, machine, results }`, written as JSON by the CLI. */
export interface BenchReport {
  readonly name: string;
  readonly machine: MachineInfo;
  /** ISO time the suite started. */
  readonly startedAt: string;
  readonly results: readonly BenchResult[];
}

/** Describes this machine. */
export function machineInfo(): MachineInfo {
  const list = cpus();
  return {
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    cpuModel: list[0]?.model.trim() ?? "unknown",
    cpuCount: list.length,
    memoryBytes: totalmem(),
  };
}
