/**
 * What the `snn sweep ...` and `snn worker` commands share: reading a sweep file with the
 * training options checked exactly as `snn train --config` checks them, how a sweep starts
 * `snn train`, and the options for Redis and the runs folder.
 */
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import {
  RedisConnectionError,
  SweepFileError,
  parseSweep,
  redisTarget,
  type ConfigObject,
  type RedisTarget,
  type SnnCommand,
  type SweepSpec,
} from "@snn/sweep";
import type { OptionSpec } from "../args";
import { parseConfigObject, resolveTrainConfig } from "../config";
import { CommandError, UsageError } from "../errors";
import { readJsonFile } from "../json-file";
import { isLegacyRelativeDataPath } from "../stored-data";

/** `--redis URL`. */
export const REDIS_OPTION: OptionSpec = {
  name: "redis",
  kind: "string",
  valueName: "URL",
  description:
    "Redis to use: redis://HOST:PORT, redis://:PASSWORD@HOST:PORT, or rediss://... for TLS (trust a self-signed certificate with NODE_EXTRA_CA_CERTS=ca.pem). Also $SNN_REDIS_URL.",
};

/** `--runs DIR`. */
export const RUNS_OPTION: OptionSpec = {
  name: "runs",
  kind: "string",
  valueName: "DIR",
  description:
    "Folder of the sweep's run directories (DIR/<sweep name>/<run>); for a queued sweep, a path every worker sees (e.g. a network file system).",
};

/** The `snn` executable this process runs from: sweeps start their trainers with it. */
export function snnCommand(): SnnCommand {
  const bin = process.argv[1];
  if (bin === undefined)
    throw new CommandError("cannot tell where the snn executable is (process.argv[1] is empty).");
  return { command: process.execPath, args: [resolve(bin)] };
}

/** Reads and validates SWEEP.json; every configuration is checked as `snn train` would. */
export function readSweepFile(file: string, cwd: string, command: string): SweepSpec {
  const path = resolve(cwd, file);
  if (!existsSync(path)) throw new UsageError(`${file}: no such sweep file.`, command);
  const json = readJsonFile(path, file, (message) => new UsageError(message, command));
  const check = (config: ConfigObject, where: string): void => {
    try {
      resolveTrainConfig({ cli: {}, file: parseConfigObject(config, where) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SweepFileError(message.startsWith(where) ? message : `${where}: ${message}`);
    }
  };
  let spec: SweepSpec;
  try {
    spec = parseSweep(json, file, check);
  } catch (error) {
    if (error instanceof SweepFileError) throw new UsageError(error.message, command);
    throw error;
  }
  return withAbsolutePaths(spec, dirname(path));
}

/**
 * The sweep with the paths of its configurations (`data`, `initFrom`) made absolute from the
 * sweep file's folder `folder`, as `snn train --config` reads paths in its file. The trainers
 * then read the same files whatever folder they run in, on this machine or a worker's (which
 * must see them at the same path, as it sees the runs folder).
 */
function withAbsolutePaths(spec: SweepSpec, folder: string): SweepSpec {
  const absolute = (config: ConfigObject): ConfigObject => {
    const out: Record<string, ConfigObject[string]> = { ...config };
    const data = out["data"];
    if (typeof data === "string" && isLegacyRelativeDataPath(data))
      out["data"] = resolve(folder, data);
    const initFrom = out["initFrom"];
    if (typeof initFrom === "string") out["initFrom"] = resolve(folder, initFrom);
    return out;
  };
  return {
    ...spec,
    base: absolute(spec.base),
    configs: spec.configs.map((c) => ({ ...c, overrides: absolute(c.overrides) })),
  };
}

/** The Redis of `--redis` or $SNN_REDIS_URL; a usage error when neither is given or the URL is bad. */
export function redisFromOptions(
  value: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  command: string,
): RedisTarget {
  const url = value ?? (env["SNN_REDIS_URL"] !== "" ? env["SNN_REDIS_URL"] : undefined);
  if (url === undefined)
    throw new UsageError(
      "give the Redis to use with --redis URL (or $SNN_REDIS_URL), e.g. --redis redis://localhost:6379.",
      command,
    );
  try {
    return redisTarget(url);
  } catch (error) {
    if (error instanceof RedisConnectionError) throw new UsageError(error.message, command);
    throw error;
  }
}
