import { describe, expect, it } from "vitest";
import { escapeXml, niceTicks } from "../src/index";

describe("niceTicks", () => {
  it("covers the range with steps of 1, 2 or 5 times a power of ten", () => {
    expect(niceTicks(0, 1, 5)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 10, 5)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(3, 97, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    const ticks = niceTicks(0.123, 0.456, 4);
    expect(ticks[0]).toBeLessThanOrEqual(0.123);
    expect(ticks[ticks.length - 1]).toBeGreaterThanOrEqual(0.456);
  });

  it("widens a zero-width range and survives non-finite input", () => {
    const ticks = niceTicks(2, 2);
    expect(ticks[0]).toBeLessThan(2);
    expect(ticks[ticks.length - 1]).toBeGreaterThan(2);
    expect(niceTicks(Number.NaN, 1)).toEqual([0, 1]);
  });
});

describe("escapeXml", () => {
  it("escapes the five special characters", () => {
    expect(escapeXml(`a<b>&"c'`)).toBe("a&lt;b&gt;&amp;&quot;c&apos;");
  });

  it("replaces characters XML cannot hold (controls, lone surrogates) and keeps the rest", () => {
    expect(escapeXml("a\u0001b\u001Fc\uFFFF")).toBe("a\uFFFDb\uFFFDc\uFFFD");
    expect(escapeXml("x\uD800y\uDC00")).toBe("x\uFFFDy\uFFFD");
    expect(escapeXml("tab\tnewline\nreturn\r, é, 😀")).toBe("tab\tnewline\nreturn\r, é, 😀");
  });
});
