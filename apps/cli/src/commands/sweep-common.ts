/**
 * What the `snn sweep ...` and `snn worker` commands share: reading a sweep file with the
 * training options checked exactly as `snn train --config` checks them, how a sweep starts
 * `snn train`, and the options for Redis and the runs folder.
 */
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
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
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (error) {
    throw new UsageError(`${file} is not valid JSON: ${(error as Error).message}.`, command);
  }
  const check = (config: ConfigObject, where: string): void => {
    try {
      resolveTrainConfig({ cli: {}, file: parseConfigObject(config, where) });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new SweepFileError(message.startsWith(where) ? message : `${where}: ${message}`);
    }
  };
  try {
    return parseSweep(json, file, check);
  } catch (error) {
    if (error instanceof SweepFileError) throw new UsageError(error.message, command);
    throw error;
  }
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
