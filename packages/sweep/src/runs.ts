/**
 * A sweep expanded into runs: one per configuration and seed, each with its full training
 * configuration and its run directory under `<runs>/<sweep name>/`.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { ConfigObject, SweepSpec } from "./sweep-file";

/** One training run of a sweep. */
export interface SweepRun {
  /** `<config name>-seed<seed>`: unique in the sweep, a folder name. */
  readonly id: string;
  /** Name of the configuration (shared by its seeds). */
  readonly config: string;
  readonly seed: number;
  /** The complete `snn train --config` object: base, overrides and seed. */
  readonly train: ConfigObject;
}

/** Every run of a sweep, configuration by configuration, seed by seed. */
export function expandRuns(spec: SweepSpec): SweepRun[] {
  return spec.configs.flatMap((c) =>
    spec.seeds.map((seed) => ({
      id: `${c.name}-seed${seed}`,
      config: c.name,
      seed,
      train: { ...spec.base, ...c.overrides, seed },
    })),
  );
}

/** The folder of a sweep: `<runs>/<name>`. */
export function sweepDirectory(runsRoot: string, name: string): string {
  return join(runsRoot, name);
}

/** The run directory of one run: `<runs>/<name>/<run id>`. */
export function runDirectory(runsRoot: string, name: string, runId: string): string {
  return join(runsRoot, name, runId);
}

/** A fingerprint of what a sweep computes (its name, configurations and seeds), to tell two sweeps of one name apart. */
export function sweepFingerprint(spec: SweepSpec): string {
  const canonical = JSON.stringify({
    name: spec.name,
    runs: expandRuns(spec).map((r) => [
      r.id,
      Object.entries(r.train).sort(([a], [b]) => a.localeCompare(b)),
    ]),
  });
  return createHash("sha256").update(canonical).digest("hex").slice(0, 16);
}
