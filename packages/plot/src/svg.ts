/**
 * The SVG writing shared by every plot: escaping, number formatting, an estimate of text width
 * (for laying out margins without a DOM) and the document wrapper.
 */

/** Colours for series, in order (colour-blind friendly, after Okabe and Ito). */
export const SERIES_COLORS = [
  "#0072B2",
  "#D55E00",
  "#009E73",
  "#CC79A7",
  "#E69F00",
  "#56B4E9",
  "#000000",
] as const;

/** The font every plot uses (attribute form). */
export const FONT = `font-family="Helvetica, Arial, sans-serif"`;

/** Font sizes in pixels. */
export const FONT_SIZE = { title: 15, label: 12, tick: 11 } as const;

/**
 * Characters XML 1.0 does not allow even escaped: controls other than tab, newline and carriage
 * return, unpaired surrogates, U+FFFE and U+FFFF.
 */
const NOT_XML =
  // eslint-disable-next-line no-control-regex -- control characters are exactly what it looks for
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Escapes text for XML content and attribute values. Characters XML cannot hold at all (control
 * characters such as U+0001, lone surrogates) become U+FFFD, so that any label (a class name
 * read from a data file, say) gives a well-formed document.
 */
export function escapeXml(text: string): string {
  return text
    .replace(NOT_XML, "\uFFFD")
    .replace(
      /[&<>"']/g,
      (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!,
    );
}

/** A number written briefly for SVG coordinates (at most 2 decimals). */
export function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * An upper estimate of the width of `text` in pixels at `fontSize` in Helvetica/Arial (the
 * widest common glyphs are about 0.6 em wide on average over a word). Used to make margins
 * wide enough that labels are never cut off.
 */
export function textWidth(text: string, fontSize: number): number {
  return Array.from(text).length * 0.6 * fontSize;
}

/** The colour of series `index`: its own, else the palette's. */
export function seriesColor(index: number, own?: string): string {
  return own ?? SERIES_COLORS[index % SERIES_COLORS.length]!;
}

/**
 * A standalone SVG 1.1 document of `width` x `height` pixels with a white background, an
 * accessible `<title>` and, when `title` is not empty, the title drawn at the top.
 */
export function svgDocument(
  width: number,
  height: number,
  title: string,
  body: readonly string[],
): string {
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${fmt(width)}" height="${fmt(height)}" viewBox="0 0 ${fmt(width)} ${fmt(height)}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${fmt(width)}" height="${fmt(height)}" fill="#ffffff"/>`,
  ];
  if (title !== "") {
    out.push(
      `<text class="title" x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="${FONT_SIZE.title}" ${FONT} fill="#222">${escapeXml(title)}</text>`,
    );
  }
  out.push(...body, `</svg>`, "");
  return out.join("\n");
}

/** Top margin: room for the title when there is one. */
export function topMargin(title: string): number {
  return title === "" ? 12 : 40;
}

/** Throws a RangeError naming the plot and the problem, for bad input. */
export function fail(plot: string, problem: string): never {
  throw new RangeError(`${plot}: ${problem}`);
}

/** Checks that a size option is a positive finite number. */
export function checkSize(plot: string, name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    fail(plot, `${name} must be a positive number of pixels, got ${value}.`);
  return value;
}
