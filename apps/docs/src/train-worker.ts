// Runs example (b) in a module worker: a training batch is seconds of synchronous work on the
// CPU backend, which would freeze the page if it ran on the main thread.
import type { BatchMetrics } from "@snn/eprop";
import { describeBackend, selectBackend, type BackendChoice } from "./backends";
import { trainEprop } from "./examples/eprop-training";

export type ToWorker =
  | { readonly type: "start"; readonly backend: BackendChoice; readonly epochs: number }
  | { readonly type: "stop" };
export type FromWorker =
  | { readonly type: "backend"; readonly description: string }
  | { readonly type: "batch"; readonly metrics: BatchMetrics }
  | { readonly type: "done"; readonly testAccuracy: number; readonly traces: string }
  | { readonly type: "stopped" }
  | { readonly type: "error"; readonly message: string };

const scope = self as unknown as {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
};
let controller: AbortController | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "stop") {
    controller?.abort();
    return;
  }
  controller?.abort();
  const own = new AbortController();
  controller = own;
  void (async () => {
    try {
      const backend = await selectBackend(message.backend);
      scope.postMessage({ type: "backend", description: await describeBackend(backend) });
      const result = await trainEprop(backend, {
        epochs: message.epochs,
        signal: own.signal,
        onBatch: (metrics) => scope.postMessage({ type: "batch", metrics }),
      });
      const traces =
        result.traces === null
          ? "per step"
          : result.traces.where === "device"
            ? "on the GPU"
            : result.traces.thread
              ? "on the CPU, in a second worker beside the forward pass"
              : "on the CPU, in this worker after each chunk";
      scope.postMessage({ type: "done", testAccuracy: result.testAccuracy, traces });
    } catch (error) {
      if (own.signal.aborted) scope.postMessage({ type: "stopped" });
      else
        scope.postMessage({
          type: "error",
          message: error instanceof Error ? error.message : String(error),
        });
    }
  })();
};
