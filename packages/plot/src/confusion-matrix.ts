/**
 * Confusion matrices: a grid of cells, true class down, predicted class across, each cell
 * shaded by its share of its row (the true class) and labelled with its count.
 */
import {
  checkSize,
  escapeXml,
  fail,
  fmt,
  FONT,
  FONT_SIZE,
  svgDocument,
  textWidth,
  topMargin,
} from "./svg";

export interface ConfusionMatrixOptions {
  /** counts[trueClass][predictedClass]: a square table of non-negative numbers. */
  readonly counts: readonly (readonly number[])[] | readonly ArrayLike<number>[];
  /** Class names; default 0, 1, 2, …. */
  readonly classNames?: readonly string[];
  /** Drawn at the top and used as the document's `<title>`; default none. */
  readonly title?: string;
  /** Cell text: the count (default) or the share of the row in percent. */
  readonly show?: "count" | "percent";
  /** Side of a cell in pixels; default 36. */
  readonly cellSize?: number;
  /** Colour of a cell that holds its whole row; default a blue. */
  readonly color?: string;
}

const PLOT = "confusionMatrix";

function checkCounts(counts: ConfusionMatrixOptions["counts"]): number {
  const n = counts.length;
  if (n === 0) fail(PLOT, "counts is empty; give one row per true class.");
  counts.forEach((row, i) => {
    if (row.length !== n)
      fail(
        PLOT,
        `row ${i} has ${row.length} entries but there are ${n} rows; the table must be square (counts[true][predicted]).`,
      );
    for (let j = 0; j < n; j++) {
      if (!(Number.isFinite(row[j]!) && row[j]! >= 0))
        fail(PLOT, `counts[${i}][${j}] is ${row[j]}; counts must be finite and non-negative.`);
    }
  });
  return n;
}

/** Mixes `color` (#rrggbb) with white: share 0 is white, 1 is the colour. */
function shade(color: string, share: number): string {
  const m = /^#([0-9a-f]{6})$/i.exec(color);
  if (!m) return color;
  const rgb = [0, 2, 4].map((k) => parseInt(m[1]!.slice(k, k + 2), 16));
  return `rgb(${rgb.map((c) => Math.round(255 + (c - 255) * share)).join(", ")})`;
}

/**
 * A confusion matrix. Each cell is a `<g class="cell" data-true="I" data-predicted="J"
 * data-count="C">` with a `<rect>` and a `<text>`; the diagonal cells also have class
 * `correct`. The overall accuracy is the `data-accuracy` attribute of `<g class="matrix">`.
 * Returns a standalone SVG document.
 */
export function confusionMatrix(options: ConfusionMatrixOptions): string {
  const n = checkCounts(options.counts);
  const names = options.classNames ?? Array.from({ length: n }, (_, k) => String(k));
  if (names.length !== n)
    fail(PLOT, `${names.length} class names for ${n} classes; give one name per row.`);
  const cell = checkSize(PLOT, "cellSize", options.cellSize ?? 36);
  const title = options.title ?? "";
  const color = options.color ?? "#0072B2";
  const nameWidth = Math.max(...names.map((name) => textWidth(name, FONT_SIZE.tick)));
  const left = 4 + FONT_SIZE.label + 8 + nameWidth + 6;
  const top = topMargin(title) + 4;
  const gridSize = n * cell;
  // Rotated column names need their width below the grid; the axis label follows.
  const bottom = 6 + nameWidth + 8 + FONT_SIZE.label + 6;
  const width = Math.max(left + gridSize + 12, textWidth(title, FONT_SIZE.title) + 16);
  const height = top + gridSize + bottom;

  let total = 0;
  let correct = 0;
  const body: string[] = [];
  const rows = Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => options.counts[i]![j]!),
  );
  rows.forEach((row, i) => {
    const rowSum = row.reduce((a, b) => a + b, 0);
    total += rowSum;
    correct += row[i]!;
  });
  const accuracy = total > 0 ? correct / total : 0;
  body.push(
    `<g class="matrix" data-classes="${n}" data-total="${total}" data-accuracy="${accuracy}" ${FONT} font-size="${FONT_SIZE.tick}">`,
  );
  rows.forEach((row, i) => {
    const rowSum = row.reduce((a, b) => a + b, 0);
    row.forEach((count, j) => {
      const share = rowSum > 0 ? count / rowSum : 0;
      const [x, y] = [left + j * cell, top + i * cell];
      const text = options.show === "percent" ? `${Math.round(share * 100)}` : String(count);
      body.push(
        `<g class="cell${i === j ? " correct" : ""}" data-true="${i}" data-predicted="${j}" data-count="${count}">`,
      );
      body.push(
        `<rect x="${fmt(x)}" y="${fmt(y)}" width="${fmt(cell)}" height="${fmt(cell)}" fill="${shade(color, share)}" stroke="#ffffff"/>`,
      );
      body.push(
        `<text x="${fmt(x + cell / 2)}" y="${fmt(y + cell / 2)}" dy="0.32em" text-anchor="middle" fill="${share > 0.55 ? "#ffffff" : "#222"}">${escapeXml(text)}</text>`,
      );
      body.push(`</g>`);
    });
  });
  body.push(`</g>`);
  body.push(`<g class="axes" ${FONT} font-size="${FONT_SIZE.tick}" fill="#444">`);
  names.forEach((name, k) => {
    const c = fmt(top + k * cell + cell / 2);
    body.push(
      `<text class="tick" x="${fmt(left - 6)}" y="${c}" dy="0.32em" text-anchor="end">${escapeXml(name)}</text>`,
    );
    const cx = fmt(left + k * cell + cell / 2);
    const ty = fmt(top + gridSize + 6);
    body.push(
      `<text class="tick" x="${cx}" y="${ty}" dy="0.32em" text-anchor="end" transform="rotate(-90 ${cx} ${ty})">${escapeXml(name)}</text>`,
    );
  });
  const cy = fmt(top + gridSize / 2);
  const lx = fmt(4 + 0.8 * FONT_SIZE.label);
  body.push(
    `<text class="axis-label" x="${lx}" y="${cy}" text-anchor="middle" font-size="${FONT_SIZE.label}" fill="#222" transform="rotate(-90 ${lx} ${cy})">true class</text>`,
  );
  body.push(
    `<text class="axis-label" x="${fmt(left + gridSize / 2)}" y="${fmt(height - 6 - 0.25 * FONT_SIZE.label)}" text-anchor="middle" font-size="${FONT_SIZE.label}" fill="#222">predicted class</text>`,
  );
  body.push(`</g>`);
  return svgDocument(width, height, title, body);
}
