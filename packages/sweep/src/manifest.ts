/**
 * The sweep's folder, `<runs>/<name>/`, holds `sweep.json`: the validated sweep, its runs and
 * its fingerprint. It is created exclusively, so a second sweep of the same name but other
 * content is refused rather than mixed into the first one's folder.
 */
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SweepError, SweepFileError } from "./errors";
import { expandRuns, sweepDirectory, sweepFingerprint, type SweepRun } from "./runs";
import { describeSweepDifference } from "./sweep-diff";
import type { SweepSpec } from "./sweep-file";

/** Contents of `<runs>/<name>/sweep.json`. */
export interface SweepManifest {
  readonly version: 1;
  readonly name: string;
  readonly fingerprint: string;
  readonly createdAt: string;
  readonly spec: SweepSpec;
  readonly runs: readonly SweepRun[];
}

/** Path of a sweep's manifest. */
export function manifestFile(runsRoot: string, name: string): string {
  return join(sweepDirectory(runsRoot, name), "sweep.json");
}

/**
 * Creates the sweep's folder and manifest, or confirms an existing one holds the same sweep
 * (then the sweep continues where it stopped). A different sweep of the same name is refused.
 */
export function claimSweepDirectory(
  runsRoot: string,
  spec: SweepSpec,
): { manifest: SweepManifest; existed: boolean } {
  const file = manifestFile(runsRoot, spec.name);
  const fingerprint = sweepFingerprint(spec);
  if (existsSync(file)) return { manifest: checkSame(file, spec, fingerprint), existed: true };
  mkdirSync(sweepDirectory(runsRoot, spec.name), { recursive: true });
  const manifest: SweepManifest = {
    version: 1,
    name: spec.name,
    fingerprint,
    createdAt: new Date().toISOString(),
    spec,
    runs: expandRuns(spec),
  };
  const temp = `${file}.tmp-${process.pid}-${Date.now()}`;
  writeFileSync(temp, `${JSON.stringify(manifest, null, 2)}\n`);
  try {
    linkSync(temp, file); // fails when another process created it first
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return { manifest: checkSame(file, spec, fingerprint), existed: true };
  } finally {
    rmSync(temp, { force: true });
  }
  return { manifest, existed: false };
}

function checkSame(file: string, spec: SweepSpec, fingerprint: string): SweepManifest {
  const existing = readManifestFile(file);
  if (existing.fingerprint !== fingerprint) {
    throw new SweepError(
      `a different sweep named "${spec.name}" already exists in ${file} (created ${existing.createdAt})${differenceClause(existing, spec)}; give this sweep another "name", or use another runs folder.`,
    );
  }
  return existing;
}

/**
 * `: <what differs>` between a manifest's sweep and `spec`, or nothing when the manifest's
 * sweep cannot be compared (an older or damaged manifest).
 */
export function differenceClause(manifest: SweepManifest, spec: SweepSpec): string {
  try {
    const difference = describeSweepDifference(manifest.spec, spec);
    return difference === "" ? "" : `: ${difference}`;
  } catch {
    return "";
  }
}

function readManifestFile(file: string): SweepManifest {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new SweepFileError(
      `${file} is not a readable sweep manifest (${(error as Error).message}); delete it only if the sweep's runs can go.`,
    );
  }
  const m = json as Partial<SweepManifest>;
  if (
    m.version !== 1 ||
    typeof m.fingerprint !== "string" ||
    !Array.isArray(m.runs) ||
    typeof m.name !== "string"
  ) {
    throw new SweepFileError(`${file} is not a sweep manifest this version of snn understands.`);
  }
  return m as SweepManifest;
}

/** Reads the manifest of the sweep `name` under `runsRoot`, with a clear error when there is none. */
export function readManifest(runsRoot: string, name: string): SweepManifest {
  const file = manifestFile(runsRoot, name);
  if (!existsSync(file)) {
    throw new SweepError(
      `no sweep "${name}" in ${runsRoot} (no ${file}); check the name and --runs (the folder given to 'snn sweep run' or 'snn sweep submit').`,
    );
  }
  return readManifestFile(file);
}
