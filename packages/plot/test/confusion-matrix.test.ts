import { describe, expect, it } from "vitest";
import { confusionMatrix } from "../src/index";
import { clippedTexts, elements, num, parseSvg, withClass } from "./svg-dom";

describe("confusionMatrix", () => {
  const counts = [
    [8, 1, 1],
    [0, 5, 5],
    [2, 0, 18],
  ];
  const root = parseSvg(
    confusionMatrix({ counts, classNames: ["yes", "no", "maybe <later>"], title: "test set" }),
  );
  const cells = withClass(root, "cell");

  it("has a cell per (true, predicted) pair with its count", () => {
    expect(cells).toHaveLength(9);
    for (const cell of cells) {
      const [i, j] = [num(cell, "data-true"), num(cell, "data-predicted")];
      expect(num(cell, "data-count")).toBe(counts[i]![j]);
      expect(elements(cell, "text")[0]!.textContent).toBe(String(counts[i]![j]));
    }
    expect(withClass(root, "correct").map((c) => num(c, "data-count"))).toEqual([8, 5, 18]);
    expect(num(withClass(root, "matrix")[0]!, "data-accuracy")).toBeCloseTo(31 / 40, 10);
  });

  it("lays cells out as rows of true classes and columns of predictions", () => {
    const at = (i: number, j: number) =>
      elements(
        cells.find((c) => num(c, "data-true") === i && num(c, "data-predicted") === j)!,
        "rect",
      )[0]!;
    expect(num(at(0, 1), "x")).toBeGreaterThan(num(at(0, 0), "x"));
    expect(num(at(0, 1), "y")).toBe(num(at(0, 0), "y"));
    expect(num(at(1, 0), "y")).toBeGreaterThan(num(at(0, 0), "y"));
  });

  it("shades a cell darker the larger its share of the row", () => {
    const lightness = (i: number, j: number) => {
      const fill = elements(
        cells.find((c) => num(c, "data-true") === i && num(c, "data-predicted") === j)!,
        "rect",
      )[0]!.getAttribute("fill")!;
      return fill
        .match(/\d+/g)!
        .map(Number)
        .reduce((a, b) => a + b, 0);
    };
    expect(lightness(2, 2)).toBeLessThan(lightness(0, 0)); // 90 % < 80 % of the row
    expect(lightness(0, 0)).toBeLessThan(lightness(1, 1)); // 80 % < 50 %
    expect(lightness(1, 0)).toBe(3 * 255); // none: white
  });

  it("names the classes on both axes and keeps every label in the picture", () => {
    const names = withClass(root, "tick").map((t) => t.textContent);
    expect(names.filter((n) => n === "maybe <later>")).toHaveLength(2);
    expect(withClass(root, "axis-label").map((t) => t.textContent)).toEqual([
      "true class",
      "predicted class",
    ]);
    expect(clippedTexts(root)).toEqual([]);
  });

  it("writes no character XML cannot hold, whatever the class names (read from a data file, say)", () => {
    const svg = confusionMatrix({
      counts: [
        [1, 0],
        [0, 1],
      ],
      classNames: ["a\u0001b", "c\uD800"],
      title: "bell \u0007",
    });
    // XML 1.0 forbids these even as character references; strict parsers (browsers) reject them.
    // eslint-disable-next-line no-control-regex -- control characters are what must not appear
    expect(svg).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF]/);
    expect(svg).toContain(">a\uFFFDb</text>");
    expect(svg).toContain(">c\uFFFD</text>");
    expect(svg).toContain("<title>bell \uFFFD</title>");
  });

  it("shows row percentages when asked", () => {
    const percent = parseSvg(confusionMatrix({ counts, show: "percent" }));
    const cell = withClass(percent, "cell").find(
      (c) => num(c, "data-true") === 1 && num(c, "data-predicted") === 2,
    )!;
    expect(elements(cell, "text")[0]!.textContent).toBe("50");
  });

  it("says what is wrong with bad input", () => {
    expect(() => confusionMatrix({ counts: [] })).toThrow(/counts is empty/);
    expect(() => confusionMatrix({ counts: [[1, 2], [3]] })).toThrow(
      /row 1 has 1 entries but there are 2 rows/,
    );
    expect(() =>
      confusionMatrix({
        counts: [
          [1, -1],
          [0, 1],
        ],
      }),
    ).toThrow(/counts\[0\]\[1\] is -1/);
    expect(() => confusionMatrix({ counts: [[1]], classNames: ["a", "b"] })).toThrow(
      /2 class names for 1 classes/,
    );
  });
});
