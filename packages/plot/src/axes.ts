/**
 * Plot frames and their axes: margins computed from the labels they must hold (so that no tick
 * or axis label is cut off), linear scales, and the drawing of ticks, grid lines and labels.
 */
import { escapeXml, fmt, FONT, FONT_SIZE, textWidth } from "./svg";
import { niceTicks, tickLabel } from "./ticks";

/** The plotting area inside the margins, in pixels. */
export interface Frame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** One axis: its tick values, the scale from data to pixels, its label. */
export interface Axis {
  readonly ticks: readonly number[];
  readonly scale: (value: number) => number;
  readonly label: string;
  /** Tick labels; default `tickLabel` of each tick. */
  readonly tickText?: (value: number) => string;
}

const PAD = 4;
const GAP = 6;
/** How far glyphs reach above and below the baseline, as fractions of the font size. */
const ASCENT = 0.8;
const DESCENT = 0.25;

/** Widest tick label of `ticks`, in pixels. */
export function tickLabelWidth(
  ticks: readonly number[],
  text: (value: number) => string = tickLabel,
): number {
  return Math.max(0, ...ticks.map((t) => textWidth(text(t), FONT_SIZE.tick)));
}

/** Room left of the frame for a y axis with these tick labels and an axis label. */
export function leftAxisWidth(maxTickWidth: number, label: string): number {
  return PAD + (label === "" ? 0 : (ASCENT + DESCENT) * FONT_SIZE.label + GAP) + maxTickWidth + GAP;
}

/** Room right of the frame for a second y axis. */
export function rightAxisWidth(maxTickWidth: number, label: string): number {
  return GAP + maxTickWidth + (label === "" ? 0 : GAP + (ASCENT + DESCENT) * FONT_SIZE.label) + PAD;
}

/** Room below the frame for the x tick labels and the x label. */
export function bottomAxisHeight(label: string): number {
  return label === "" ? 24 : 42;
}

/** The range an axis shows: `fixed` when given, else the data's range widened to nice ticks. */
export function axisRange(
  dataMin: number,
  dataMax: number,
  target: number,
  fixed?: readonly [number, number],
): { min: number; max: number; ticks: number[] } {
  if (fixed) {
    const [min, max] = fixed[0] <= fixed[1] ? fixed : [fixed[1], fixed[0]];
    const ticks = niceTicks(min, max, target).filter((t) => t >= min - 1e-12 && t <= max + 1e-12);
    return { min, max: max === min ? min + 1 : max, ticks };
  }
  const ticks = niceTicks(dataMin, dataMax, target);
  return {
    min: Math.min(ticks[0]!, dataMin),
    max: Math.max(ticks[ticks.length - 1]!, dataMax),
    ticks,
  };
}

/** A linear map from [min, max] onto [from, to] pixels. */
export function linearScale(
  min: number,
  max: number,
  from: number,
  to: number,
): (value: number) => number {
  const span = max - min || 1;
  return (value) => from + ((value - min) / span) * (to - from);
}

/** The smallest and largest finite values; [0, 1] when there are none. */
export function extent(values: Iterable<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : [0, 1];
}

/**
 * Grid lines, ticks, the frame and the labels of a bottom x axis, a left y axis and an optional
 * right y axis (without grid lines of its own), in a picture `outerWidth` wide. One `<g class="axes">`.
 */
export function drawAxes(
  frame: Frame,
  outerWidth: number,
  x: Axis,
  left: Axis,
  right?: Axis,
): string[] {
  const out: string[] = [
    `<g class="axes" stroke="#888" stroke-width="1" ${FONT} font-size="${FONT_SIZE.tick}">`,
  ];
  const bottom = frame.top + frame.height;
  const rightEdge = frame.left + frame.width;
  const leftText = left.tickText ?? tickLabel;
  for (const t of left.ticks) {
    const y = fmt(left.scale(t));
    out.push(
      `<line x1="${fmt(frame.left)}" y1="${y}" x2="${fmt(rightEdge)}" y2="${y}" stroke="#e4e4e4"/>`,
    );
    out.push(
      `<text class="tick" x="${fmt(frame.left - GAP)}" y="${y}" dy="0.32em" text-anchor="end" stroke="none" fill="#444">${escapeXml(leftText(t))}</text>`,
    );
  }
  const xText = x.tickText ?? tickLabel;
  for (const t of x.ticks) {
    const px = fmt(x.scale(t));
    out.push(`<line x1="${px}" y1="${fmt(bottom)}" x2="${px}" y2="${fmt(bottom + 4)}"/>`);
    out.push(
      `<text class="tick" x="${px}" y="${fmt(bottom + 16)}" text-anchor="middle" stroke="none" fill="#444">${escapeXml(xText(t))}</text>`,
    );
  }
  out.push(
    `<rect x="${fmt(frame.left)}" y="${fmt(frame.top)}" width="${fmt(frame.width)}" height="${fmt(frame.height)}" fill="none"/>`,
  );
  if (x.label !== "") {
    // Centred under the frame, moved sideways as far as a long label needs to stay in the picture.
    const half = textWidth(x.label, FONT_SIZE.label) / 2;
    const cx = Math.max(
      PAD + half,
      Math.min(outerWidth - PAD - half, frame.left + frame.width / 2),
    );
    out.push(
      `<text class="axis-label" x="${fmt(cx)}" y="${fmt(bottom + 34)}" text-anchor="middle" stroke="none" fill="#222" font-size="${FONT_SIZE.label}">${escapeXml(x.label)}</text>`,
    );
  }
  const cy = fmt(frame.top + frame.height / 2);
  if (left.label !== "") {
    const lx = fmt(PAD + ASCENT * FONT_SIZE.label);
    out.push(
      `<text class="axis-label" x="${lx}" y="${cy}" text-anchor="middle" stroke="none" fill="#222" font-size="${FONT_SIZE.label}" transform="rotate(-90 ${lx} ${cy})">${escapeXml(left.label)}</text>`,
    );
  }
  if (right) {
    const rightText = right.tickText ?? tickLabel;
    for (const t of right.ticks) {
      const y = fmt(right.scale(t));
      out.push(`<line x1="${fmt(rightEdge)}" y1="${y}" x2="${fmt(rightEdge + 4)}" y2="${y}"/>`);
      out.push(
        `<text class="tick" x="${fmt(rightEdge + GAP)}" y="${y}" dy="0.32em" text-anchor="start" stroke="none" fill="#444">${escapeXml(rightText(t))}</text>`,
      );
    }
    if (right.label !== "") {
      const rx = fmt(
        rightEdge + GAP + tickLabelWidth(right.ticks, rightText) + GAP + ASCENT * FONT_SIZE.label,
      );
      out.push(
        `<text class="axis-label" x="${rx}" y="${cy}" text-anchor="middle" stroke="none" fill="#222" font-size="${FONT_SIZE.label}" transform="rotate(-90 ${rx} ${cy})">${escapeXml(right.label)}</text>`,
      );
    }
  }
  out.push(`</g>`);
  return out;
}
