/**
 * @snn/sweep: sweeps of `snn train` runs over configurations and seeds.
 *
 * - {@link parseSweep} validates a sweep file; {@link expandRuns} lists its runs.
 * - {@link runSweepLocally} trains them on this machine (no Redis).
 * - {@link submitSweep}, {@link startWorker} and {@link sweepStatus} spread them over many
 *   machines with BullMQ on Redis, with lossless takeover of a dead worker's run.
 * - {@link collectResults}, {@link formatResultsTable} and {@link barChartSvg} aggregate them.
 */
export { SweepError, SweepFileError, RedisConnectionError } from "./errors";
export {
  parseSweep,
  configName,
  SWEEP_NAME,
  type SweepSpec,
  type SweepBudget,
  type SweepConfigEntry,
  type ConfigObject,
  type ConfigValue,
  type ConfigCheck,
} from "./sweep-file";
export { expandRuns, runDirectory, sweepDirectory, sweepFingerprint, type SweepRun } from "./runs";
export { claimSweepDirectory, readManifest, manifestFile, type SweepManifest } from "./manifest";
export { readRunResult, readRunState, type RunResult, type RunDirState } from "./run-result";
export {
  trainRun,
  type SnnCommand,
  type RunProgress,
  type TrainOutcome,
  type TrainRunOptions,
  type TrainerIdentity,
} from "./train-process";
export {
  runSweepLocally,
  type LocalEvent,
  type LocalSweepOptions,
  type LocalSweepSummary,
} from "./local";
export { redisTarget, checkRedis, waitForRedis, reconnectDelayMs, type RedisTarget } from "./redis";
export {
  submitSweep,
  sweepStatus,
  jobId,
  QUEUE_NAME,
  KEY_PREFIX,
  type RunJobData,
  type RunStatus,
  type SubmitOptions,
} from "./queue";
export { startWorker, type SweepWorker, type WorkerEvent, type WorkerOptions } from "./worker";
export {
  collectResults,
  meanSd,
  formatResultsTable,
  formatAccuracy,
  formatSeconds,
  type SweepResults,
  type ConfigResults,
  type RunRow,
  type MeanSd,
} from "./results";
export { barChartSvg, type Bar, type BarChartOptions } from "./bar-chart";
