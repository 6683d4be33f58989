/**
 * A trial worker of data-parallel training (`Trainer.train` with `threads > 1`) and of threaded
 * evaluation (`Trainer.evaluate`/`predictBatches` with `threads > 1`; see
 * parallel/worker-pool.ts): a Node worker thread with its own `EpropRuntime` on a backend made
 * from the trainer's `backend.worker`. A training job sets the parameters, runs its trials in
 * order (with the same non-finite check as the trainer) and sends back each trial's outputs and
 * batch-summed gradients; the trainer sums them in a fixed order and takes the Adam step. An
 * inference job (an inference runtime) sets the parameters when it carries them and runs one
 * trial forward. Built as dist/train-worker.js beside dist/index.js.
 */
import { parentPort } from "node:worker_threads";
import type { Backend } from "@snn/core";
import { EpropRuntime } from "./eprop-runtime";
import { checkFiniteTrial } from "./non-finite";
import {
  toFailure,
  type FromWorker,
  type ToWorker,
  type WorkerInit,
  type WorkerTrialResult,
} from "./parallel/protocol";

const port = parentPort;
if (port === null) throw new Error("train-worker runs as a worker thread of @snn/eprop's Trainer");

let runtime: EpropRuntime | null = null;

async function create(init: WorkerInit): Promise<EpropRuntime> {
  const module = (await import(init.backend.module)) as Record<string, unknown>;
  const factory = module[init.backend.factory];
  if (typeof factory !== "function") {
    throw new Error(
      `the backend module ${init.backend.module} has no function '${init.backend.factory}'`,
    );
  }
  const backend = (factory as (options: unknown) => Backend)(init.backend.options);
  if (init.mode === "inference")
    return EpropRuntime.create(init.description, {
      backend,
      batchSize: init.batchSize,
      mode: "inference",
    });
  return EpropRuntime.create(init.description, {
    backend,
    batchSize: init.batchSize,
    mode: "train",
    optimizer: init.optimizer,
    eligibility: init.eligibility,
    ...(init.chunkSteps !== undefined ? { chunkSteps: init.chunkSteps } : {}),
    ...(init.chunkedTraces !== undefined ? { chunkedTraces: init.chunkedTraces } : {}),
    ...(init.traceThread !== undefined ? { traceThread: init.traceThread } : {}),
  });
}

async function handle(message: ToWorker): Promise<FromWorker> {
  if (message.kind === "init") {
    try {
      runtime?.dispose();
      runtime = await create(message.init);
      return { kind: "ready" };
    } catch (error) {
      return { kind: "initFailed", failure: toFailure(error) };
    }
  }
  if (message.kind === "infer") {
    try {
      if (runtime === null) throw new Error("the worker has no runtime (init failed)");
      if (message.parameters !== undefined) await runtime.setParameters(message.parameters);
      const start = performance.now();
      const outputs = await runtime.runTrial(message.trial);
      return {
        kind: "inferred",
        id: message.id,
        result: { outputs, ms: performance.now() - start },
      };
    } catch (error) {
      return { kind: "failed", id: message.id, failure: toFailure(error) };
    }
  }
  try {
    if (runtime === null) throw new Error("the worker has no runtime (init failed)");
    await runtime.setParameters(message.parameters);
    const results: WorkerTrialResult[] = [];
    for (const { trial, where } of message.trials) {
      const outputs = await runtime.runTrial(trial);
      await checkFiniteTrial(runtime, trial, outputs, where);
      results.push({ outputs, gradients: await runtime.readTrialGradients() });
    }
    return { kind: "done", id: message.id, results };
  } catch (error) {
    return { kind: "failed", id: message.id, failure: toFailure(error) };
  }
}

let queue: Promise<void> = Promise.resolve();
port.on("message", (message: ToWorker) => {
  queue = queue.then(async () => {
    const reply = await handle(message);
    // The gradients' buffers move rather than copy (fresh arrays of readTrialGradients).
    const transfer: ArrayBuffer[] = [];
    if (reply.kind === "done")
      for (const result of reply.results)
        for (const gradient of result.gradients)
          if (gradient.buffer instanceof ArrayBuffer) transfer.push(gradient.buffer);
    port.postMessage(reply, transfer);
  });
});
