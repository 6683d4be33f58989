import { describe, expect, it } from "vitest";
import { membraneTrace } from "../src/index";
import {
  clippedTexts,
  elements,
  frameOf,
  parseSvg,
  pathPoints,
  seriesByName,
  withClass,
} from "./svg-dom";

describe("membraneTrace", () => {
  const v = [0, 0.4, 0.8, 1.2, 0, 0.5, 1.1, 0];
  const root = parseSvg(
    membraneTrace({
      traces: [{ name: "neuron 3", v, spikes: [3, 6] }],
      dt: 0.5,
      threshold: 1,
      yLabel: "V (mV)",
      yRange: [0, 1.5],
    }),
  );

  it("draws the trace, one event line per spike and the threshold", () => {
    const series = seriesByName(root);
    expect([...series.keys()].sort()).toEqual(["neuron 3", "threshold"]);
    expect(
      pathPoints(elements(series.get("neuron 3")!, "path")[0]!.getAttribute("d")!),
    ).toHaveLength(v.length);
    const events = withClass(root, "events")[0]!;
    expect(events.getAttribute("data-events")).toBe("neuron 3 spikes");
    expect(elements(events, "path")[0]!.getAttribute("d")!.match(/M/g)).toHaveLength(2);
  });

  it("places the spikes at their times and the threshold at its value", () => {
    const frame = frameOf(withClass(root, "axes")[0]!);
    const trace = pathPoints(
      elements(seriesByName(root).get("neuron 3")!, "path")[0]!.getAttribute("d")!,
    );
    const spikeXs = [
      ...elements(withClass(root, "events")[0]!, "path")[0]!
        .getAttribute("d")!
        .matchAll(/M(-?[\d.]+) /g),
    ].map((m) => Number(m[1]));
    expect(spikeXs).toEqual([trace[3]!.x, trace[6]!.x]);
    const threshold = pathPoints(
      elements(seriesByName(root).get("threshold")!, "path")[0]!.getAttribute("d")!,
    );
    expect(threshold[0]!.y).toBeCloseTo(frame.bottom - (1 / 1.5) * (frame.bottom - frame.top), 1);
    // the last sample (step 7 at dt 0.5 = 3.5 ms) at the right edge
    expect(trace[7]!.x).toBeCloseTo(frame.right, 1);
    const xTicks = withClass(root, "tick")
      .filter((t) => t.getAttribute("text-anchor") === "middle")
      .map((t) => Number(t.textContent));
    expect(xTicks).toEqual([0, 1, 2, 3]);
  });

  it("keeps its labels in the picture", () => {
    expect(clippedTexts(root)).toEqual([]);
  });
});
