/**
 * Preloaded (`node --import`) into every `snn train` a sweep starts: when the process that
 * started it (the worker) is gone, the trainer ends at once, like the worker. A SIGKILLed
 * worker therefore leaves no orphan writing the run directory that another worker is about to
 * resume; the run continues from its last checkpoint.
 *
 * `SNN_SWEEP_PARENT` holds the worker's pid; without it this module does nothing.
 */
const expected = Number(process.env["SNN_SWEEP_PARENT"]);
if (Number.isInteger(expected) && expected > 0) {
  const timer = setInterval(() => {
    if (process.ppid !== expected) process.kill(process.pid, "SIGKILL");
  }, 250);
  timer.unref();
}
