// Wires the live examples of index.html: each runs the module shown beside it.
import { describeBackend, selectBackend, webgpuAvailable, type BackendChoice } from "./backends";
import {
  checkNeuronCode,
  izhikevichCode,
  runCustomNeuron,
  type NeuronCode,
} from "./examples/custom-neuron";
import { classifyDigit, MNIST_SIZE, mnistImageFromInk, smnistModel } from "./examples/draw-digit";
import { runLifPopulation } from "./examples/lif-population";
import { runStdp, STDP_WMAX } from "./examples/stdp";
import customNeuronSource from "./examples/custom-neuron.ts?raw";
import drawDigitSource from "./examples/draw-digit.ts?raw";
import epropSource from "./examples/eprop-training.ts?raw";
import lifSource from "./examples/lif-population.ts?raw";
import stdpSource from "./examples/stdp.ts?raw";
import { lineChart, membraneTrace, spikeRaster } from "@snn/plot";
import type { FromWorker, ToWorker } from "./train-worker";
import { watchNavHeight } from "./nav";

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`index.html has no element #${id}`);
  return found as T;
}

type State = "idle" | "running" | "done" | "error";

function setStatus(id: string, state: State, text: string, backend?: string): void {
  const status = element(id);
  status.dataset.state = state;
  if (backend !== undefined) status.dataset.backend = backend;
  else delete status.dataset.backend;
  status.textContent = text;
  status.className = `status ${state}`;
}

/** Shows an @snn/plot SVG in its placeholder; returns the placeholder. */
function showPlot(id: string, svg: string): HTMLElement {
  const host = element(id);
  host.innerHTML = svg;
  return host;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

watchNavHeight();
element("lif-source").textContent = lifSource;
element("train-source").textContent = epropSource;
element("neuron-source").textContent = customNeuronSource;
element("stdp-source").textContent = stdpSource;
element("digit-source").textContent = drawDigitSource;

// Mark WebGPU as unavailable where the browser has no adapter (auto then means the CPU).
void webgpuAvailable().then((available) => {
  document.body.dataset.webgpu = String(available);
  if (available) return;
  for (const select of document.querySelectorAll<HTMLSelectElement>(
    "select[data-backend-select]",
  )) {
    for (const option of select.options) {
      if (option.value === "webgpu") {
        option.disabled = true;
        option.textContent = "WebGPU (no adapter in this browser)";
      }
      if (option.value === "auto") option.textContent = "auto (CPU: no WebGPU adapter here)";
    }
  }
});

// (a) LIF/ALIF population ---------------------------------------------------------------
let lifRun = 0;
async function runLif(): Promise<void> {
  const run = ++lifRun;
  const choice = element<HTMLSelectElement>("lif-backend").value as BackendChoice;
  const rates = element<HTMLInputElement>("lif-rate")
    .value.split(",")
    .map(Number)
    .filter((r) => Number.isFinite(r) && r >= 0);
  setStatus("lif-status", "running", "Compiling…");
  try {
    const backend = await selectBackend(choice);
    const description = await describeBackend(backend);
    const result = await runLifPopulation(backend, {
      inputRatesHz: rates.length > 0 ? rates : [20],
      onProgress: (fraction) => {
        if (run === lifRun)
          setStatus(
            "lif-status",
            "running",
            `Running on ${description}: ${Math.round(fraction * 100)} %`,
          );
      },
    });
    if (run !== lifRun) return;
    const colors: Record<string, string> = { lif: "#1f77b4", alif: "#d62728" };
    const total = result.populations.reduce((sum, p) => sum + p.steps.length, 0);
    const raster = spikeRaster({
      width: 640,
      panelHeight: 170,
      panels: result.populations.map((p) => ({
        label: `${p.name.toUpperCase()}: ${p.steps.length} spikes`,
        steps: p.steps,
        neurons: p.neurons,
        numSteps: result.steps,
        numNeurons: p.size,
        color: colors[p.name] ?? "#333",
      })),
    });
    showPlot("lif-raster", raster).dataset.dots = String(total);
    const summary = element("lif-summary");
    summary.dataset.spikes = String(total);
    // spikes in each part of the trial (one per input rate)
    const parts = (rates.length > 0 ? rates : [20]).map((_, k, all) => {
      const [from, to] = [(k * result.steps) / all.length, ((k + 1) * result.steps) / all.length];
      return result.populations.reduce(
        (sum, p) => sum + p.steps.filter((s) => s >= from && s < to).length,
        0,
      );
    });
    summary.dataset.parts = JSON.stringify(parts);
    summary.textContent =
      result.populations
        .map(
          (p) =>
            `${p.name.toUpperCase()}: ${p.steps.length} spikes, ${p.rateHz.toFixed(1)} Hz per neuron`,
        )
        .join("; ") +
      `. ${result.steps} ms simulated in ${result.milliseconds.toFixed(0)} ms (compile included).`;
    setStatus("lif-status", "done", `Ran on ${description}.`, result.backend);
  } catch (error) {
    if (run === lifRun) setStatus("lif-status", "error", `Failed: ${message(error)}`);
  }
}
element("lif-run").addEventListener("click", () => void runLif());

// (b) e-prop training in a module worker --------------------------------------------------
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
element("train-run").addEventListener("click", startTraining);
element("train-stop").addEventListener("click", () =>
  worker?.postMessage({ type: "stop" } satisfies ToWorker),
);

// (c) Your own neuron ------------------------------------------------------------------
const sim = element<HTMLTextAreaElement>("neuron-sim");
const threshold = element<HTMLInputElement>("neuron-threshold");
const reset = element<HTMLTextAreaElement>("neuron-reset");
const errorBox = element<HTMLPreElement>("neuron-error");
function setCode(code: NeuronCode): void {
  sim.value = code.sim;
  threshold.value = code.threshold;
  reset.value = code.reset;
}
function currentCode(): NeuronCode {
  return { sim: sim.value, threshold: threshold.value, reset: reset.value };
}
/** Checks the code as it is typed; shows the error with its line, column and caret. */
function check(): boolean {
  let error;
  try {
    error = checkNeuronCode(currentCode());
  } catch (thrown) {
    error = {
      field: "model",
      line: 0,
      column: 0,
      reason: message(thrown),
      message: message(thrown),
    };
  }
  errorBox.hidden = error === null;
  errorBox.textContent = error ? error.message : "";
  if (error) {
    errorBox.dataset.field = error.field;
    errorBox.dataset.line = String(error.line);
    errorBox.dataset.column = String(error.column);
  }
  element<HTMLButtonElement>("neuron-run").disabled = error !== null;
  return error === null;
}
let neuronRun = 0;
async function runNeuron(): Promise<void> {
  if (!check()) return;
  const run = ++neuronRun;
  setStatus("neuron-status", "running", "Compiling…");
  try {
    const backend = await selectBackend(
      element<HTMLSelectElement>("neuron-backend").value as BackendChoice,
    );
    const description = await describeBackend(backend);
    setStatus("neuron-status", "running", `Running on ${description}…`);
    const result = await runCustomNeuron(backend, currentCode());
    if (run !== neuronRun) return;
    if (!result.ok) {
      check();
      setStatus("neuron-status", "error", "The code has an error (above).");
      return;
    }
    showPlot(
      "neuron-chart",
      membraneTrace({
        width: 640,
        height: 220,
        traces: [
          {
            name: "V of the neuron with Iext = 10",
            v: result.voltage,
            spikes: result.spikeSteps,
            color: "#2ca02c",
          },
        ],
        xLabel: "time (ms); a grey line per spike",
        yLabel: "V (mV)",
      }),
    ).dataset.spikes = String(result.spikeSteps.length);
    showPlot(
      "neuron-rates",
      lineChart({
        width: 640,
        height: 180,
        xLabel: "neuron i (Iext = i)",
        yLabel: `spikes in ${result.steps} ms`,
        series: [{ name: "spikes", y: result.spikeCounts, color: "#9467bd" }],
      }),
    );
    const total = result.spikeCounts.reduce((a, b) => a + b, 0);
    setStatus(
      "neuron-status",
      "done",
      `Ran on ${description}: ${total} spikes in ${result.steps} ms.`,
      result.backend,
    );
  } catch (error) {
    if (run === neuronRun) setStatus("neuron-status", "error", `Failed: ${message(error)}`);
  }
}
for (const input of [sim, threshold, reset]) input.addEventListener("input", () => check());
element("neuron-run").addEventListener("click", () => void runNeuron());
element("neuron-typo").addEventListener("click", () => {
  // A typical slip: a variable name mistyped on the third line.
  sim.value = sim.value.replace("U += a * (b * V - U)", "U += a * (b * V - Uu)");
  check();
});
element("neuron-restore").addEventListener("click", () => {
  setCode(izhikevichCode);
  check();
});

// (d) STDP -----------------------------------------------------------------------------
let stdpRun = 0;
async function runStdpExample(): Promise<void> {
  const run = ++stdpRun;
  const correlation = Math.max(
    0,
    Math.min(1, Number(element<HTMLInputElement>("stdp-correlation").value) || 0),
  );
  setStatus("stdp-status", "running", "Compiling…");
  try {
    const backend = await selectBackend(
      element<HTMLSelectElement>("stdp-backend").value as BackendChoice,
    );
    const description = await describeBackend(backend);
    const result = await runStdp(backend, {
      correlation,
      onProgress: (fraction) => {
        if (run === stdpRun)
          setStatus(
            "stdp-status",
            "running",
            `Running on ${description}: ${Math.round(fraction * 100)} %`,
          );
      },
    });
    if (run !== stdpRun) return;
    const time = result.correlatedMean.map((_, i) => ((i + 1) * result.blockSteps) / 1000);
    showPlot(
      "stdp-means",
      lineChart({
        width: 640,
        height: 220,
        xLabel: "time (s)",
        yLabel: "mean weight",
        yRange: [0, STDP_WMAX],
        markers: false,
        series: [
          { name: "correlated inputs", x: time, y: result.correlatedMean, color: "#d62728" },
          { name: "independent inputs", x: time, y: result.independentMean, color: "#1f77b4" },
        ],
      }),
    );
    showPlot(
      "stdp-weights",
      lineChart({
        width: 640,
        height: 180,
        xLabel: "input (0-49 correlated, 50-99 independent)",
        yLabel: "weight at the end",
        yRange: [0, STDP_WMAX],
        series: [{ name: "weight", y: result.weights, color: "#2ca02c" }],
      }),
    );
    const [correlated, independent] = [
      result.correlatedMean.at(-1)!,
      result.independentMean.at(-1)!,
    ];
    const summary = element("stdp-summary");
    summary.dataset.correlated = String(correlated);
    summary.dataset.independent = String(independent);
    summary.textContent =
      `Mean weight at the end: correlated ${correlated.toFixed(3)}, independent ${independent.toFixed(3)} (from ${(STDP_WMAX / 2).toFixed(2)}; at most ${STDP_WMAX}). ` +
      `The neuron fired at ${result.firstRateHz.toFixed(0)} Hz in the first second and ${result.lastRateHz.toFixed(0)} Hz in the last. ` +
      `${result.steps} ms simulated in ${result.milliseconds.toFixed(0)} ms (compile included).`;
    setStatus("stdp-status", "done", `Ran on ${description}.`, result.backend);
  } catch (error) {
    if (run === stdpRun) setStatus("stdp-status", "error", `Failed: ${message(error)}`);
  }
}
element("stdp-run").addEventListener("click", () => void runStdpExample());

// (e) Draw a digit ------------------------------------------------------------------------
const digitCanvas = element<HTMLCanvasElement>("digit-canvas");
const digitContext = digitCanvas.getContext("2d", { willReadFrequently: true })!;
/** A thick soft brush: about 2.5 of the 28 cells wide, its edge blurred. */
const brush = (digitCanvas.width / MNIST_SIZE) * 2.4;
let stroke: { x: number; y: number } | null = null;
let inked = false;
/** Counts classifications, so that a result that arrives after a newer drawing (or Clear) is dropped. */
let digitRun = 0;

function canvasPoint(event: PointerEvent): { x: number; y: number } {
  const box = digitCanvas.getBoundingClientRect();
  return {
    x: ((event.clientX - box.left) * digitCanvas.width) / box.width,
    y: ((event.clientY - box.top) * digitCanvas.height) / box.height,
  };
}

function paint(from: { x: number; y: number }, to: { x: number; y: number }): void {
  digitContext.lineCap = "round";
  digitContext.lineJoin = "round";
  digitContext.strokeStyle = "#ffffff";
  digitContext.lineWidth = brush;
  digitContext.shadowColor = "#ffffff";
  digitContext.shadowBlur = brush / 3;
  digitContext.beginPath();
  digitContext.moveTo(from.x, from.y);
  digitContext.lineTo(to.x, to.y);
  digitContext.stroke();
  inked = true;
}

digitCanvas.addEventListener("pointerdown", (event) => {
  event.preventDefault();
  digitCanvas.setPointerCapture(event.pointerId);
  stroke = canvasPoint(event);
  paint(stroke, stroke);
});
digitCanvas.addEventListener("pointermove", (event) => {
  if (!stroke) return;
  const point = canvasPoint(event);
  paint(stroke, point);
  stroke = point;
});
for (const type of ["pointerup", "pointercancel"] as const) {
  digitCanvas.addEventListener(type, () => {
    if (!stroke) return;
    stroke = null;
    void classifyDrawing();
  });
}

/** The 28x28 image the network reads, drawn as cells. */
function showInput(image: Uint8Array | null): void {
  const canvas = element<HTMLCanvasElement>("digit-input");
  const context = canvas.getContext("2d")!;
  const cell = canvas.width / MNIST_SIZE;
  context.fillStyle = "#000000";
  context.fillRect(0, 0, canvas.width, canvas.height);
  if (!image) return;
  for (let i = 0; i < image.length; i++) {
    const v = image[i]!;
    if (v === 0) continue;
    context.fillStyle = `rgb(${v}, ${v}, ${v})`;
    context.fillRect((i % MNIST_SIZE) * cell, Math.floor(i / MNIST_SIZE) * cell, cell, cell);
  }
}

function clearDigit(): void {
  digitRun++;
  digitContext.clearRect(0, 0, digitCanvas.width, digitCanvas.height);
  inked = false;
  showInput(null);
  const prediction = element("digit-prediction");
  prediction.textContent = "–";
  delete prediction.dataset.predicted;
  element("digit-scores").textContent = "";
  setStatus(
    "digit-status",
    "idle",
    "Draw a digit in the black square (it is classified when you let go).",
  );
}

const CLASS_COLOURS = [
  "#1f77b4",
  "#ff7f0e",
  "#2ca02c",
  "#d62728",
  "#9467bd",
  "#8c564b",
  "#e377c2",
  "#7f7f7f",
  "#bcbd22",
  "#17becf",
];
async function classifyDrawing(): Promise<void> {
  const run = ++digitRun;
  if (!inked) {
    setStatus("digit-status", "idle", "Draw a digit first.");
    return;
  }
  const { data, width, height } = digitContext.getImageData(
    0,
    0,
    digitCanvas.width,
    digitCanvas.height,
  );
  const ink = new Float32Array(width * height);
  for (let i = 0; i < ink.length; i++) ink[i] = data[4 * i + 3]! / 255;
  const image = mnistImageFromInk(ink, width, height);
  showInput(image);
  if (!image) {
    setStatus("digit-status", "idle", "Draw a digit first.");
    return;
  }
  setStatus("digit-status", "running", "Loading the pretrained network…");
  try {
    const backend = await selectBackend(
      element<HTMLSelectElement>("digit-backend").value as BackendChoice,
    );
    const description = await describeBackend(backend);
    const model = await smnistModel();
    if (run !== digitRun) return;
    setStatus(
      "digit-status",
      "running",
      `Running ${model.input.numSteps} steps on ${description}…`,
    );
    const result = await classifyDigit(backend, image);
    if (run !== digitRun) return;
    const prediction = element("digit-prediction");
    prediction.textContent = String(result.predicted);
    prediction.dataset.predicted = String(result.predicted);
    const ranked = Array.from(result.scores, (score, k) => ({ k, score })).sort(
      (a, b) => b.score - a.score,
    );
    element("digit-scores").textContent = ranked
      .slice(0, 3)
      .map(({ k, score }) => `${k}: ${(score * 100).toFixed(0)} %`)
      .join(", ");
    const raster = showPlot(
      "digit-raster",
      spikeRaster({
        width: 640,
        panelHeight: 160,
        dt: result.dt,
        panels: [
          {
            label: `input: ${result.input.steps.length} spikes`,
            steps: result.input.steps,
            neurons: result.input.units,
            numSteps: result.numSteps,
            numNeurons: model.input.numChannels,
            color: "#1f77b4",
          },
          {
            label: `hidden: ${result.hidden.steps.length} spikes`,
            steps: result.hidden.steps,
            neurons: result.hidden.neurons,
            numSteps: result.numSteps,
            numNeurons: result.hidden.size,
            color: "#d62728",
          },
        ],
      }),
    );
    raster.dataset.dots = String(result.input.steps.length + result.hidden.steps.length);
    raster.dataset.inputSpikes = String(result.input.steps.length);
    raster.dataset.hiddenSpikes = String(result.hidden.steps.length);
    const classes = model.input.classNames;
    const times = Array.from({ length: result.numSteps }, (_, s) => s * result.dt);
    const readout = showPlot(
      "digit-readout",
      lineChart({
        width: 640,
        height: 220,
        xLabel: "time (ms); the prediction sums the softmax over the grey band",
        yLabel: "softmax",
        yRange: [0, 1],
        markers: false,
        bands: [{ from: result.window[0] * result.dt, to: (result.window[1] - 1) * result.dt }],
        series: classes.map((name, k) => ({
          name,
          x: times,
          y: Array.from(
            { length: result.numSteps },
            (_, s) => result.softmax[s * classes.length + k]!,
          ),
          color: CLASS_COLOURS[k % CLASS_COLOURS.length]!,
          lineWidth: k === result.predicted ? 3 : 1,
        })),
      }),
    );
    readout.dataset.steps = String(result.numSteps);
    const test = model.metadata.evaluation.test;
    element("digit-summary").textContent =
      `${result.input.steps.length} input spikes, ${result.hidden.steps.length} hidden spikes ` +
      `(${((result.hidden.steps.length / result.hidden.size / (result.numSteps * result.dt)) * 1000).toFixed(1)} Hz per neuron) in ${result.numSteps * result.dt} ms, ` +
      `simulated in ${result.milliseconds.toFixed(0)} ms. The network: ${model.metadata.description} ` +
      `It classifies ${(test.accuracy * 100).toFixed(1)} % of the ${test.examples} MNIST test digits correctly; the prediction is the class with the largest softmax summed over the trial's last steps, as in training.`;
    setStatus(
      "digit-status",
      "done",
      `Ran on ${description}: it reads a ${result.predicted}.`,
      result.backend,
    );
  } catch (error) {
    if (run === digitRun) setStatus("digit-status", "error", `Failed: ${message(error)}`);
  }
}
element("digit-classify").addEventListener("click", () => void classifyDrawing());
element("digit-clear").addEventListener("click", clearDigit);

setCode(izhikevichCode);
check();
showInput(null);
void runLif();
void runNeuron();
