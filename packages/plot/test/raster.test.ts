import { describe, expect, it } from "vitest";
import { spikeRaster } from "../src/index";
import { clippedTexts, elements, frameOf, parseSvg, seriesByName, withClass } from "./svg-dom";

/** The top-left corners of a raster path's spike marks. */
function marks(d: string): { x: number; y: number }[] {
  return [...d.matchAll(/M(-?[\d.]+) (-?[\d.]+)h/g)].map((m) => ({
    x: Number(m[1]),
    y: Number(m[2]),
  }));
}

describe("spikeRaster", () => {
  const svg = spikeRaster({
    title: "Hidden spikes",
    dt: 2,
    panels: [
      {
        label: "sample 0 (label 3)",
        steps: [0, 5, 9],
        neurons: [1, 0, 3],
        numSteps: 10,
        numNeurons: 4,
      },
      {
        label: "sample 1 (label 7)",
        steps: [],
        neurons: [],
        numSteps: 10,
        numNeurons: 4,
        color: "#D55E00",
      },
    ],
  });
  const root = parseSvg(svg);

  it("draws one panel per group with a mark per spike", () => {
    const series = seriesByName(root);
    expect([...series.keys()]).toEqual(["sample 0 (label 3)", "sample 1 (label 7)"]);
    const first = series.get("sample 0 (label 3)")!;
    expect(first.getAttribute("data-spikes")).toBe("3");
    expect(marks(elements(first, "path")[0]!.getAttribute("d")!)).toHaveLength(3);
    expect(elements(series.get("sample 1 (label 7)")!, "path")).toHaveLength(0);
    expect(withClass(root, "caption").map((c) => c.textContent)).toEqual([
      "sample 0 (label 3)",
      "sample 1 (label 7)",
    ]);
  });

  it("puts a spike at its time and neuron: later steps further right, higher neurons higher", () => {
    const frame = frameOf(withClass(root, "axes")[0]!);
    const [a, b, c] = marks(
      elements(seriesByName(root).get("sample 0 (label 3)")!, "path")[0]!.getAttribute("d")!,
    );
    const width = frame.right - frame.left;
    expect(a!.x).toBeCloseTo(frame.left, 1); // step 0
    expect(b!.x).toBeCloseTo(frame.left + 0.5 * width, 1); // step 5 of 10
    expect(c!.x).toBeCloseTo(frame.left + 0.9 * width, 1);
    // neuron 3 (c) above neuron 1 (a) above neuron 0 (b), all inside the frame
    expect(c!.y).toBeLessThan(a!.y);
    expect(a!.y).toBeLessThan(b!.y);
    for (const m of [a!, b!, c!]) {
      expect(m.y).toBeGreaterThanOrEqual(frame.top);
      expect(m.y).toBeLessThanOrEqual(frame.bottom);
    }
  });

  it("labels time in units of dt and keeps every label in the picture", () => {
    const ticks = elements(withClass(root, "axes")[0]!, "text")
      .filter((t) => t.getAttribute("class") === "tick")
      .map((t) => t.textContent);
    expect(ticks).toContain("20"); // 10 steps of 2 ms
    expect(withClass(root, "axis-label").map((t) => t.textContent)).toContain("time (ms)");
    expect(clippedTexts(root)).toEqual([]);
  });

  it("stacks the panels top to bottom", () => {
    const [first, second] = withClass(root, "axes").map(frameOf);
    expect(second!.top).toBeGreaterThan(first!.bottom);
  });

  it("says what is wrong with bad input", () => {
    const panel = { label: "p", steps: [0, 1], neurons: [0], numSteps: 10, numNeurons: 2 };
    expect(() => spikeRaster({ panels: [panel] })).toThrow(/panel 'p' has 2 steps but 1 neurons/);
    expect(() => spikeRaster({ panels: [{ ...panel, neurons: [0, 5] }] })).toThrow(
      /spike 1 at step 1, neuron 5 lies outside 10 steps x 2 neurons/,
    );
    expect(() => spikeRaster({ panels: [{ ...panel, neurons: [0, 1] }], dt: 0 })).toThrow(
      /dt must be a positive/,
    );
  });
});
