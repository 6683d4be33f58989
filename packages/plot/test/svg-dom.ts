// Test helpers: parse a plot with a real XML parser (@xmldom/xmldom, strict: any
// well-formedness error throws) and read its geometry back.
import { DOMParser, type Element } from "@xmldom/xmldom";

/** Parses an SVG document; throws on any XML error or a root other than <svg>. */
export function parseSvg(svg: string): Element {
  const doc = new DOMParser({
    onError: (level, message) => {
      throw new Error(`XML ${level}: ${message}`);
    },
  }).parseFromString(svg, "image/svg+xml");
  const root = doc.documentElement;
  if (!root || root.tagName !== "svg") throw new Error(`root is <${root?.tagName}>, not <svg>`);
  if (root.getAttribute("xmlns") !== "http://www.w3.org/2000/svg")
    throw new Error("no SVG namespace");
  return root;
}

/** Every descendant element named `tag`. */
export function elements(root: Element, tag: string): Element[] {
  return Array.from(root.getElementsByTagName(tag));
}

/** Descendants whose class list contains `name`. */
export function withClass(root: Element, name: string): Element[] {
  return elements(root, "*").filter((e) =>
    (e.getAttribute("class") ?? "").split(/\s+/).includes(name),
  );
}

/** `class="series"` groups by their `data-series` name, in document order. */
export function seriesByName(root: Element): Map<string, Element> {
  return new Map(withClass(root, "series").map((e) => [e.getAttribute("data-series") ?? "", e]));
}

export function num(e: Element, attribute: string): number {
  const value = e.getAttribute(attribute);
  if (value === null) throw new Error(`<${e.tagName}> has no ${attribute}`);
  return Number(value);
}

/** The points of a path's M and L commands. */
export function pathPoints(d: string): { command: string; x: number; y: number }[] {
  return [...d.matchAll(/([ML])(-?[\d.]+) (-?[\d.]+)/g)].map((m) => ({
    command: m[1]!,
    x: Number(m[2]),
    y: Number(m[3]),
  }));
}

function inheritedFontSize(e: Element): number {
  for (let node: Element | null = e; node; node = node.parentNode as Element | null) {
    const size = node.getAttribute?.("font-size");
    if (size) return Number(size);
  }
  return 16;
}

export interface Box {
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/**
 * A realistic box of a `<text>`: about 0.55 em per character (Helvetica and Arial average
 * less), 0.8 em above the baseline and 0.25 em below, with text-anchor, dy in em and a
 * `rotate(-90 cx cy)` transform applied.
 */
export function textBox(text: Element): Box {
  const size = inheritedFontSize(text);
  const width = Array.from(text.textContent ?? "").length * 0.55 * size;
  const anchor = text.getAttribute("text-anchor") ?? "start";
  const x = num(text, "x");
  const dy = text.getAttribute("dy")?.endsWith("em")
    ? parseFloat(text.getAttribute("dy")!) * size
    : 0;
  const y = num(text, "y") + dy;
  const start = anchor === "middle" ? x - width / 2 : anchor === "end" ? x - width : x;
  const box: Box = {
    left: start,
    right: start + width,
    top: y - 0.8 * size,
    bottom: y + 0.25 * size,
  };
  const rotation = /rotate\((-?[\d.]+) (-?[\d.]+) (-?[\d.]+)\)/.exec(
    text.getAttribute("transform") ?? "",
  );
  if (!rotation) return box;
  if (Number(rotation[1]) !== -90) throw new Error(`unsupported rotation ${rotation[0]}`);
  const [cx, cy] = [Number(rotation[2]), Number(rotation[3])];
  // rotate(-90) about (cx, cy): (px, py) -> (cx + (py - cy), cy - (px - cx))
  const xs = [box.top, box.bottom].map((py) => cx + (py - cy));
  const ys = [box.left, box.right].map((px) => cy - (px - cx));
  return {
    left: Math.min(...xs),
    right: Math.max(...xs),
    top: Math.min(...ys),
    bottom: Math.max(...ys),
  };
}

/** Texts whose box leaves the document's viewBox, with their boxes (empty when none is cut off). */
export function clippedTexts(root: Element): string[] {
  const [, , width, height] = root.getAttribute("viewBox")!.split(" ").map(Number);
  return elements(root, "text")
    .map((t) => ({ t, box: textBox(t) }))
    .filter(({ box }) => box.left < 0 || box.top < 0 || box.right > width! || box.bottom > height!)
    .map(
      ({ t, box }) => `'${t.textContent}' at ${JSON.stringify(box)} outside ${width} x ${height}`,
    );
}

/** The plot frame: the axes group's <rect>. */
export function frameOf(axes: Element): Box {
  const rect = elements(axes, "rect")[0]!;
  const [x, y, w, h] = ["x", "y", "width", "height"].map((a) => num(rect, a));
  return { left: x!, top: y!, right: x! + w!, bottom: y! + h! };
}
