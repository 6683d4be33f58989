import { describe, expect, it } from "vitest";
import { lineChart } from "../src/index";
import {
  clippedTexts,
  elements,
  frameOf,
  num,
  parseSvg,
  pathPoints,
  seriesByName,
  textBox,
  withClass,
} from "./svg-dom";

describe("lineChart", () => {
  const root = parseSvg(
    lineChart({
      title: "Accuracy <train & test>",
      xLabel: "epoch",
      yLabel: "accuracy",
      yRange: [0, 1],
      series: [
        { name: "train", x: [1, 2, 3], y: [0.2, 0.5, 0.7] },
        { name: "test", x: [1, 2, 3], y: [0.1, Number.NaN, 0.6], dashed: true },
      ],
    }),
  );

  it("is a well-formed SVG document with the title escaped", () => {
    expect(elements(root, "title")[0]!.textContent).toBe("Accuracy <train & test>");
    expect(withClass(root, "title")[0]!.textContent).toBe("Accuracy <train & test>");
  });

  it("has one series group per series, a NaN leaving a gap", () => {
    const series = seriesByName(root);
    expect([...series.keys()]).toEqual(["train", "test"]);
    const train = elements(series.get("train")!, "path")[0]!;
    expect(pathPoints(train.getAttribute("d")!).map((p) => p.command)).toEqual(["M", "L", "L"]);
    const test = elements(series.get("test")!, "path")[0]!;
    expect(pathPoints(test.getAttribute("d")!).map((p) => p.command)).toEqual(["M", "M"]);
    expect(test.getAttribute("stroke-dasharray")).not.toBeNull();
    expect(num(series.get("test")!, "data-points")).toBe(3);
    // markers by default for short series: one dot per finite point
    expect(elements(series.get("train")!, "circle")).toHaveLength(3);
    expect(elements(series.get("test")!, "circle")).toHaveLength(2);
  });

  it("places points by value inside the frame: y 0 at the bottom, 1 at the top of a fixed [0, 1] range", () => {
    const frame = frameOf(withClass(root, "axes")[0]!);
    const points = pathPoints(
      elements(seriesByName(root).get("train")!, "path")[0]!.getAttribute("d")!,
    );
    for (const p of points) {
      expect(p.x).toBeGreaterThanOrEqual(frame.left);
      expect(p.x).toBeLessThanOrEqual(frame.right);
    }
    const height = frame.bottom - frame.top;
    expect(points[0]!.y).toBeCloseTo(frame.bottom - 0.2 * height, 1);
    expect(points[2]!.y).toBeCloseTo(frame.bottom - 0.7 * height, 1);
    // x: 1, 2, 3 evenly spaced
    expect(points[1]!.x - points[0]!.x).toBeCloseTo(points[2]!.x - points[1]!.x, 1);
  });

  it("labels the ticks of a fixed range and the axes", () => {
    const ticks = withClass(root, "tick").map((t) => t.textContent);
    expect(ticks).toEqual(expect.arrayContaining(["0", "0.2", "0.4", "0.6", "0.8", "1"]));
    expect(withClass(root, "axis-label").map((t) => t.textContent)).toEqual(["epoch", "accuracy"]);
  });

  it("shows the legend with every series name", () => {
    const legend = withClass(root, "legend")[0]!;
    expect(elements(legend, "text").map((t) => t.textContent)).toEqual(["train", "test"]);
  });

  it("draws a second axis on the right whose label is not cut off (the docs' 'accurac')", () => {
    const svg = lineChart({
      width: 640,
      height: 260,
      xLabel: "batch",
      yLabel: "loss",
      rightLabel: "accuracy",
      rightRange: [0, 1],
      xRange: [1, 40],
      series: [
        { name: "loss", x: [1, 2, 3, 4], y: [4.2, 3.1, 2.5, 2.2] },
        { name: "accuracy", x: [1, 2, 3, 4], y: [0.25, 0.5, 0.75, 1], axis: "right" },
      ],
    });
    const chart = parseSvg(svg);
    expect(clippedTexts(chart)).toEqual([]);
    const labels = withClass(chart, "axis-label");
    expect(labels.map((t) => t.textContent)).toEqual(["batch", "loss", "accuracy"]);
    const frame = frameOf(withClass(chart, "axes")[0]!);
    const accuracyLabel = textBox(labels[2]!);
    expect(accuracyLabel.left).toBeGreaterThan(frame.right);
    // the legend stays clear of the right axis label
    const legendText = elements(withClass(chart, "legend")[0]!, "text").map(textBox);
    for (const box of legendText) expect(box.left).toBeGreaterThan(accuracyLabel.right);
    // accuracy 1 is at the top of the frame, 0.25 a quarter up, on the right axis's scale
    const points = pathPoints(
      elements(seriesByName(chart).get("accuracy")!, "path")[0]!.getAttribute("d")!,
    );
    expect(points[3]!.y).toBeCloseTo(frame.top, 1);
    expect(points[0]!.y).toBeCloseTo(frame.bottom - 0.25 * (frame.bottom - frame.top), 1);
    expect(seriesByName(chart).get("accuracy")!.getAttribute("data-axis")).toBe("right");
  });

  it("keeps long labels, wide tick labels and long legend names inside the picture", () => {
    for (const [width, height] of [
      [640, 400],
      [360, 220],
    ] as const) {
      const chart = parseSvg(
        lineChart({
          width,
          height,
          title: "loss",
          xLabel: "time (10 ms per point): mean weight of each group",
          yLabel: "loss per sample",
          series: [
            { name: "correlated inputs", y: [123456, 234567, 345678] },
            { name: "independent inputs (the other fifty)", y: [-0.5, 0.25, 1] },
          ],
        }),
      );
      expect(clippedTexts(chart), `${width} x ${height}`).toEqual([]);
    }
  });

  it("uses the index as x when none is given, and honours a fixed x range", () => {
    const chart = parseSvg(lineChart({ xRange: [0, 9], series: [{ name: "s", y: [0, 1, 2, 3] }] }));
    const frame = frameOf(withClass(chart, "axes")[0]!);
    const points = pathPoints(
      elements(seriesByName(chart).get("s")!, "path")[0]!.getAttribute("d")!,
    );
    expect(points[0]!.x).toBeCloseTo(frame.left, 1);
    expect(points[3]!.x).toBeCloseTo(frame.left + (3 / 9) * (frame.right - frame.left), 1);
    expect(withClass(chart, "legend")).toHaveLength(0); // one series: no legend by default
  });

  it("shades bands and draws event lines, and draws the thickest series last", () => {
    const chart = parseSvg(
      lineChart({
        xRange: [0, 100],
        yRange: [0, 1],
        bands: [{ from: 50, to: 100 }],
        events: [{ name: "spikes", x: [10, 20, 30] }],
        series: [
          { name: "a", y: [0.1, 0.2], lineWidth: 3 },
          { name: "b", y: [0.3, 0.4] },
        ],
      }),
    );
    const frame = frameOf(withClass(chart, "axes")[0]!);
    const band = withClass(chart, "band")[0]!;
    const middle = (frame.left + frame.right) / 2;
    expect(num(band, "x")).toBeCloseTo(middle, 1);
    expect(num(band, "x") + num(band, "width")).toBeCloseTo(frame.right, 1);
    const events = withClass(chart, "events")[0]!;
    expect(events.getAttribute("data-count")).toBe("3");
    expect(elements(events, "path")[0]!.getAttribute("d")!.match(/M/g)).toHaveLength(3);
    expect(withClass(chart, "series").map((g) => g.getAttribute("data-series"))).toEqual([
      "b",
      "a",
    ]);
  });

  it("draws an empty chart for series without points", () => {
    const chart = parseSvg(lineChart({ title: "t", series: [{ name: "s", x: [], y: [] }] }));
    expect(elements(seriesByName(chart).get("s")!, "path")).toHaveLength(0);
  });

  it("says what is wrong with bad input", () => {
    expect(() => lineChart({ series: [{ name: "s", x: [1, 2], y: [1] }] })).toThrow(
      /series 's' has 2 x values but 1 y values/,
    );
    expect(() => lineChart({ width: 60, height: 40, yLabel: "y", series: [] })).toThrow(
      /no room for the plot/,
    );
    expect(() => lineChart({ width: Number.NaN, series: [] })).toThrow(
      /width must be a positive number/,
    );
  });
});
