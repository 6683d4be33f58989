/**
 * The draw-a-digit example of index.html: a canvas to draw on, the 28x28 image the pretrained
 * sequential-MNIST network reads, and its prediction with the spike raster and readout.
 */
import { describeBackend, selectBackend, type BackendChoice } from "./backends";
import { classifyDigit, MNIST_SIZE, mnistImageFromInk, smnistModel } from "./examples/draw-digit";
import { lineChart, spikeRaster } from "@snn/plot";
import { element, message, setStatus, showPlot } from "./live-page";

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

/**
 * Wires the draw-a-digit example: drawing on the canvas classifies when the pen lifts.
 * Returns `showInput`, which draws the network's input (null: empty).
 */
export function setupDigitExample(): { showInput(image: Uint8Array | null): void } {
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
  return { showInput };
}
