// Plots with @snn/plot: SVG strings, the same in Node and in a browser.
import { spikeRaster } from "@snn/plot";

export function rasterOf(spikes: {
  steps: Int32Array;
  neurons: Int32Array;
  numSteps: number;
  numNeurons: number;
}): string {
  return spikeRaster({
    title: "LIF spikes",
    panels: [{ label: `${spikes.steps.length} spikes`, ...spikes }],
  });
  // Node: await writeFile("raster.svg", svg)   Browser: element.innerHTML = svg
}
