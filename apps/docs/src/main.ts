// Wires the live examples of index.html: each runs the module shown beside it. The examples'
// panels are in live-simulations.ts, live-training.ts and live-digit.ts.
import { webgpuAvailable } from "./backends";
import customNeuronSource from "./examples/custom-neuron.ts?raw";
import drawDigitSource from "./examples/draw-digit.ts?raw";
import epropSource from "./examples/eprop-training.ts?raw";
import lifSource from "./examples/lif-population.ts?raw";
import stdpSource from "./examples/stdp.ts?raw";
import { setupDigitExample } from "./live-digit";
import { element } from "./live-page";
import { setupLifExample, setupNeuronExample, setupStdpExample } from "./live-simulations";
import { setupTrainingExample } from "./live-training";
import { watchNavHeight } from "./nav";

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

const runLif = setupLifExample();
setupTrainingExample();
const neuron = setupNeuronExample();
setupStdpExample();
const digit = setupDigitExample();

neuron.reset();
digit.showInput(null);
void runLif();
void neuron.run();
