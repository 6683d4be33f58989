/**
 * The e-prop training example of index.html: trains in a module worker (`train-worker.ts`)
 * and plots loss and accuracy per batch as they arrive; Stop ends it after the current batch.
 */
import type { BackendChoice } from "./backends";
import { lineChart } from "@snn/plot";
import type { FromWorker, ToWorker } from "./train-worker";
import { element, setStatus, showPlot } from "./live-page";

let worker: Worker | null = null;
function startTraining(): void {
  worker?.terminate();
  const current = new Worker(new URL("./train-worker.ts", import.meta.url), {
    type: "module",
    name: "e-prop training",
  });
  worker = current;
  const choice = element<HTMLSelectElement>("train-backend").value as BackendChoice;
  const epochs = Math.max(
    1,
    Math.min(100, Math.round(Number(element<HTMLInputElement>("train-epochs").value) || 10)),
  );
  const losses: number[] = [];
  const accuracies: number[] = [];
  let description = choice;
  const run = element<HTMLButtonElement>("train-run");
  const stop = element<HTMLButtonElement>("train-stop");
  const summary = element("train-summary");
  const chart = element("train-chart");
  const totalBatches = epochs * 4;
  const finish = () => {
    stop.disabled = true;
    run.disabled = false;
    current.terminate();
    if (worker === current) worker = null;
  };
  run.disabled = true;
  stop.disabled = false;
  summary.textContent = "";
  delete summary.dataset.batches;
  delete chart.dataset.losses;
  setStatus("train-status", "running", "Starting the worker…");
  current.onmessage = (event: MessageEvent<FromWorker>) => {
    if (worker !== current) return;
    const data = event.data;
    if (data.type === "backend") {
      description = data.description as BackendChoice;
      setStatus("train-status", "running", `Training on ${data.description}…`);
    } else if (data.type === "batch") {
      const m = data.metrics;
      losses.push(m.loss);
      accuracies.push(m.accuracy);
      const batches = losses.map((_, i) => i + 1);
      showPlot(
        "train-chart",
        lineChart({
          width: 640,
          height: 260,
          xLabel: "batch",
          yLabel: "loss",
          rightLabel: "accuracy",
          xRange: [1, Math.max(totalBatches, losses.length)],
          rightRange: [0, 1],
          series: [
            { name: "loss", x: batches, y: losses, color: "#d62728" },
            { name: "accuracy", x: batches, y: accuracies, color: "#1f77b4", axis: "right" },
          ],
        }),
      );
      chart.dataset.losses = JSON.stringify(losses);
      summary.dataset.batches = String(losses.length);
      summary.dataset.loss = String(m.loss);
      summary.dataset.accuracy = String(m.accuracy);
      summary.textContent = `Batch ${losses.length} of ${totalBatches} (epoch ${m.epoch + 1}): loss ${m.loss.toFixed(3)}, accuracy ${(m.accuracy * 100).toFixed(0)} %, hidden layer ${(m.firingRatesHz.hidden ?? 0).toFixed(0)} Hz, ${(m.seconds * 1000).toFixed(0)} ms per batch.`;
      setStatus(
        "train-status",
        "running",
        `Training on ${description}: batch ${losses.length} of ${totalBatches}`,
      );
    } else if (data.type === "done") {
      summary.dataset.testAccuracy = String(data.testAccuracy);
      summary.dataset.traces = data.traces;
      summary.textContent += ` Test accuracy on 64 new examples: ${(data.testAccuracy * 100).toFixed(1)} % (chance: 25 %). Eligibility traces: ${data.traces}.`;
      setStatus("train-status", "done", `Trained on ${description}.`);
      finish();
    } else if (data.type === "stopped") {
      setStatus(
        "train-status",
        "done",
        `Stopped after ${losses.length} batches on ${description}.`,
      );
      finish();
    } else {
      setStatus("train-status", "error", `Failed: ${data.message}`);
      finish();
    }
  };
  current.onerror = (event) => {
    if (worker !== current) return;
    setStatus(
      "train-status",
      "error",
      `The worker failed: ${event.message || "could not load it"}`,
    );
    finish();
  };
  current.postMessage({ type: "start", backend: choice, epochs } satisfies ToWorker);
}

/** Wires the training example's Run and Stop buttons. */
export function setupTrainingExample(): void {
  element("train-run").addEventListener("click", startTraining);
  element("train-stop").addEventListener("click", () =>
    worker?.postMessage({ type: "stop" } satisfies ToWorker),
  );
}
