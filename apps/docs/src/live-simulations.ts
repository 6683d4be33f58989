/**
 * The simulation examples of index.html, each running the module shown beside it: (a) a LIF/ALIF
 * population, (c) a neuron model of your own, checked as it is typed, and (d) STDP.
 */
import { describeBackend, selectBackend, type BackendChoice } from "./backends";
import {
  checkNeuronCode,
  izhikevichCode,
  runCustomNeuron,
  type NeuronCode,
} from "./examples/custom-neuron";
import { runLifPopulation } from "./examples/lif-population";
import { runStdp, STDP_WMAX } from "./examples/stdp";
import { lineChart, membraneTrace, spikeRaster } from "@snn/plot";
import { element, message, setStatus, showPlot } from "./live-page";

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

/** Wires the LIF/ALIF example's button; returns the run (the page runs it once on load). */
export function setupLifExample(): () => Promise<void> {
  element("lif-run").addEventListener("click", () => void runLif());
  return runLif;
}

// (c) Your own neuron ------------------------------------------------------------------
/**
 * Wires the custom-neuron example: its code fields, checked as they are typed, and buttons.
 * `reset` puts the Izhikevich code back (and checks it); `run` simulates the code.
 */
export function setupNeuronExample(): { reset(): void; run(): Promise<void> } {
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
  return {
    reset: () => {
      setCode(izhikevichCode);
      check();
    },
    run: runNeuron,
  };
}

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

/** Wires the STDP example's button. */
export function setupStdpExample(): void {
  element("stdp-run").addEventListener("click", () => void runStdpExample());
}
