import { describe, expect, it } from "vitest";
import { allElements, parseXml, seriesOf } from "../test/xml";
import { escapeXml, lineChart, niceTicks, spikeRaster } from "./svg";

describe("niceTicks", () => {
  it("covers the range with steps of 1, 2 or 5 times a power of ten", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(3, 97, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    const ticks = niceTicks(0.123, 0.456, 4);
    expect(ticks[0]).toBeLessThanOrEqual(0.123);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(0.456);
  });

  it("widens a zero-width range", () => {
    const ticks = niceTicks(2, 2);
    expect(ticks[0]).toBeLessThan(2);
    expect(ticks[ticks.length - 1]).toBeGreaterThan(2);
  });
});

describe("escapeXml", () => {
  it("escapes the five special characters", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });
});

describe("lineChart", () => {
  const svg = lineChart({
    title: "Accuracy <train & test>",
    xLabel: "epoch",
    yLabel: "accuracy",
    yRange: [0, 1],
    series: [
      { name: "train", x: [1, 2, 3], y: [0.2, 0.5, 0.7] },
      { name: "test", x: [1, 2, 3], y: [0.1, Number.NaN, 0.6], dashed: true },
    ],
  });
  const root = parseXml(svg);

  it("is a well-formed SVG document with the title escaped", () => {
    expect(root.name).toBe("svg");
    expect(root.attributes["xmlns"]).toBe("http://www.w3.org/2000/svg");
    expect(allElements(root).find((e) => e.name === "title")!.text).toBe("Accuracy <train & test>");
  });

  it("has one series group per series with its points", () => {
    const series = seriesOf(root);
    expect([...series.keys()]).toEqual(["train", "test"]);
    const trainPath = series.get("train")!.children.find((e) => e.name === "path")!;
    expect(trainPath.attributes["d"]!.match(/[ML]/g)).toEqual(["M", "L", "L"]);
    // The NaN leaves a gap: two separate moves, no line through it.
    const testPath = series.get("test")!.children.find((e) => e.name === "path")!;
    expect(testPath.attributes["d"]!.match(/[ML]/g)).toEqual(["M", "M"]);
    expect(testPath.attributes["stroke-dasharray"]).toBeDefined();
  });

  it("maps higher values higher on the page inside the frame", () => {
    const d = seriesOf(root).get("train")!.children.find((e) => e.name === "path")!.attributes["d"]!;
    const ys = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2]));
    const xs = [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[1]));
    expect(ys[0]!).toBeGreaterThan(ys[1]!);
    expect(ys[1]!).toBeGreaterThan(ys[2]!);
    expect(xs[0]!).toBeLessThan(xs[2]!);
    for (const y of ys) expect(y).toBeGreaterThan(0);
  });

  it("rejects series of mismatched lengths", () => {
    expect(() => lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [{ name: "s", x: [1, 2], y: [1] }] })).toThrow(/2 x values but 1 y/);
  });

  it("draws an empty chart without series data", () => {
    expect(() => parseXml(lineChart({ title: "t", xLabel: "x", yLabel: "y", series: [{ name: "s", x: [], y: [] }] }))).not.toThrow();
  });
});

describe("spikeRaster", () => {
  it("draws one panel per sample with a mark per spike", () => {
    const svg = spikeRaster({
      title: "Hidden spikes",
      dt: 2,
      panels: [
        { label: "sample 0 (label 3)", steps: [0, 5, 9], neurons: [1, 0, 3], numSteps: 10, numNeurons: 4 },
        { label: "sample 1 (label 7)", steps: [], neurons: [], numSteps: 10, numNeurons: 4 },
      ],
    });
    const series = seriesOf(parseXml(svg));
    expect([...series.keys()]).toEqual(["sample 0 (label 3)", "sample 1 (label 7)"]);
    const first = series.get("sample 0 (label 3)")!;
    expect(first.attributes["data-spikes"]).toBe("3");
    expect(first.children[0]!.attributes["d"]!.match(/M/g)).toHaveLength(3);
    expect(series.get("sample 1 (label 7)")!.children).toHaveLength(0);
  });
});
