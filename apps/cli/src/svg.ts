/**
 * A small SVG plotting module: line charts (training curves) and spike rasters. Output is a
 * standalone SVG 1.1 document; every series is a `<g class="series" data-series="NAME">`, so
 * tools and tests can find them.
 */

/** Colours for series, in order (colour-blind friendly, after Okabe and Ito). */
export const SERIES_COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"] as const;

const FONT = "font-family=\"Helvetica, Arial, sans-serif\"";

/** Escapes text for XML content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A number written briefly for SVG coordinates (2 decimals). */
function fmt(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Tick positions covering [min, max] at a "nice" step (1, 2 or 5 times a power of ten), about
 * `target` of them. Equal min and max are widened around the value.
 */
export function niceTicks(min: number, max: number, target = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
  if (max < min) [min, max] = [max, min];
  if (max === min) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, target);
  const power = 10 ** Math.floor(Math.log10(rough));
  const fraction = rough / power;
  const step = (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
  const first = Math.floor(min / step + 1e-9) * step;
  const last = Math.ceil(max / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let k = 0; first + k * step <= last + step * 1e-9; k++) ticks.push(roundTick(first + k * step, step));
  return ticks;
}

function roundTick(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

function tickLabel(value: number): string {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  if (abs >= 1e5 || abs < 1e-3) return value.toExponential(1);
  return String(Number(value.toPrecision(6)));
}

/** One line of a chart: `x` and `y` of equal length; non-finite y values leave a gap. */
export interface LineSeries {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** CSS colour; default from `SERIES_COLORS` by position. */
  readonly color?: string;
  /** Dashed line (e.g. for a second kind of measurement). */
  readonly dashed?: boolean;
}

export interface LineChartOptions {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Pixels. Default 640 x 400. */
  readonly width?: number;
  readonly height?: number;
  /** Fixed y range (e.g. [0, 1] for accuracy); default from the data. */
  readonly yRange?: readonly [number, number];
  /** Draw a dot at each point. Default: when a series has at most 60 points. */
  readonly markers?: boolean;
}

interface Frame {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

function header(width: number, height: number, title: string): string[] {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${fmt(width / 2)}" y="22" text-anchor="middle" font-size="15" ${FONT} fill="#222">${escapeXml(title)}</text>`,
  ];
}

function axes(frame: Frame, xTicks: readonly number[], yTicks: readonly number[], xScale: (v: number) => number, yScale: (v: number) => number, xLabel: string, yLabel: string): string[] {
  const out: string[] = [`<g class="axes" stroke="#888" stroke-width="1" ${FONT} font-size="11">`];
  const bottom = frame.top + frame.height;
  const right = frame.left + frame.width;
  for (const t of yTicks) {
    const y = fmt(yScale(t));
    out.push(`<line x1="${fmt(frame.left)}" y1="${y}" x2="${fmt(right)}" y2="${y}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${fmt(frame.left - 6)}" y="${y}" dy="0.32em" text-anchor="end" stroke="none" fill="#444">${escapeXml(tickLabel(t))}</text>`);
  }
  for (const t of xTicks) {
    const x = fmt(xScale(t));
    out.push(`<line x1="${x}" y1="${fmt(bottom)}" x2="${x}" y2="${fmt(bottom + 4)}"/>`);
    out.push(`<text x="${x}" y="${fmt(bottom + 16)}" text-anchor="middle" stroke="none" fill="#444">${escapeXml(tickLabel(t))}</text>`);
  }
  out.push(`<rect x="${fmt(frame.left)}" y="${fmt(frame.top)}" width="${fmt(frame.width)}" height="${fmt(frame.height)}" fill="none"/>`);
  out.push(`<text x="${fmt(frame.left + frame.width / 2)}" y="${fmt(bottom + 34)}" text-anchor="middle" stroke="none" fill="#222" font-size="12">${escapeXml(xLabel)}</text>`);
  const cy = frame.top + frame.height / 2;
  out.push(`<text x="16" y="${fmt(cy)}" text-anchor="middle" stroke="none" fill="#222" font-size="12" transform="rotate(-90 16 ${fmt(cy)})">${escapeXml(yLabel)}</text>`);
  out.push(`</g>`);
  return out;
}

function extent(values: Iterable<number>): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return min <= max ? [min, max] : [0, 1];
}

function* allValues(series: readonly LineSeries[], key: "x" | "y"): Iterable<number> {
  for (const s of series) for (let i = 0; i < s[key].length; i++) yield s[key][i]!;
}

/** A line chart with axes, grid, ticks, a legend and one `<g class="series">` per series. */
export function lineChart(options: LineChartOptions): string {
  const width = options.width ?? 640;
  const height = options.height ?? 400;
  for (const s of options.series) {
    if (s.x.length !== s.y.length) throw new RangeError(`lineChart: series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values.`);
  }
  const frame: Frame = { left: 64, top: 40, width: width - 64 - 150, height: height - 40 - 52 };
  const [x0, x1] = extent(allValues(options.series, "x"));
  const [y0, y1] = options.yRange ?? extent(allValues(options.series, "y"));
  const xTicks = niceTicks(x0, x1, 6);
  const yTicks = options.yRange ? niceTicks(y0, y1, 5).filter((t) => t >= y0 - 1e-12 && t <= y1 + 1e-12) : niceTicks(y0, y1, 5);
  const xMin = Math.min(xTicks[0]!, x0);
  const xMax = Math.max(xTicks[xTicks.length - 1]!, x1);
  const yMin = options.yRange ? y0 : Math.min(yTicks[0]!, y0);
  const yMax = options.yRange ? y1 : Math.max(yTicks[yTicks.length - 1]!, y1);
  const xScale = (v: number) => frame.left + ((v - xMin) / (xMax - xMin || 1)) * frame.width;
  const yScale = (v: number) => frame.top + frame.height - ((v - yMin) / (yMax - yMin || 1)) * frame.height;

  const out = header(width, height, options.title);
  out.push(...axes(frame, xTicks, yTicks, xScale, yScale, options.xLabel, options.yLabel));
  options.series.forEach((s, index) => {
    const color = s.color ?? SERIES_COLORS[index % SERIES_COLORS.length]!;
    const markers = options.markers ?? s.x.length <= 60;
    let d = "";
    let penDown = false;
    const dots: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const x = s.x[i]!;
      const y = s.y[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        penDown = false;
        continue;
      }
      const px = fmt(xScale(x));
      const py = fmt(yScale(y));
      d += `${penDown ? "L" : "M"}${px} ${py} `;
      penDown = true;
      if (markers) dots.push(`<circle cx="${px}" cy="${py}" r="2.5"/>`);
    }
    out.push(`<g class="series" data-series="${escapeXml(s.name)}" data-points="${s.x.length}">`);
    if (d !== "") {
      out.push(`<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="2"${s.dashed === true ? ` stroke-dasharray="6 4"` : ""}/>`);
    }
    if (dots.length > 0) out.push(`<g fill="${color}">${dots.join("")}</g>`);
    out.push(`</g>`);
  });
  // Legend to the right of the frame.
  const lx = frame.left + frame.width + 14;
  out.push(`<g class="legend" ${FONT} font-size="12">`);
  options.series.forEach((s, index) => {
    const color = s.color ?? SERIES_COLORS[index % SERIES_COLORS.length]!;
    const y = frame.top + 10 + index * 20;
    out.push(`<line x1="${fmt(lx)}" y1="${fmt(y)}" x2="${fmt(lx + 22)}" y2="${fmt(y)}" stroke="${color}" stroke-width="2"${s.dashed === true ? ` stroke-dasharray="6 4"` : ""}/>`);
    out.push(`<text x="${fmt(lx + 28)}" y="${fmt(y)}" dy="0.32em" fill="#222">${escapeXml(s.name)}</text>`);
  });
  out.push(`</g>`, `</svg>`, "");
  return out.join("\n");
}

/** Spikes of one panel of a raster: parallel arrays of step and neuron index. */
export interface RasterPanel {
  /** Panel caption, e.g. "sample 12, label 3, predicted 3". */
  readonly label: string;
  readonly steps: ArrayLike<number>;
  readonly neurons: ArrayLike<number>;
  readonly numSteps: number;
  readonly numNeurons: number;
  /** Colour of this panel's marks; default the chart's `color`. */
  readonly color?: string;
}

export interface RasterOptions {
  readonly title: string;
  readonly panels: readonly RasterPanel[];
  /** Step length in ms, for the time axis. Default 1. */
  readonly dt?: number;
  /** Pixels. Default 800 wide, 150 per panel. */
  readonly width?: number;
  readonly panelHeight?: number;
  readonly color?: string;
  /** Label of the y axes. Default "neuron". */
  readonly yLabel?: string;
}

/**
 * Spike rasters, one panel per sample, stacked vertically: a dot (small rectangle) per spike
 * at (time, neuron). Each panel is a `<g class="series" data-series="LABEL" data-spikes="N">`.
 */
export function spikeRaster(options: RasterOptions): string {
  const width = options.width ?? 800;
  const panelHeight = options.panelHeight ?? 150;
  const dt = options.dt ?? 1;
  const color = options.color ?? "#1f1f1f";
  const panels = options.panels;
  const height = 40 + panels.length * panelHeight + 10;
  const out = header(width, height, options.title);
  panels.forEach((panel, index) => {
    if (panel.steps.length !== panel.neurons.length) {
      throw new RangeError(`spikeRaster: panel '${panel.label}' has ${panel.steps.length} steps but ${panel.neurons.length} neurons.`);
    }
    const frame: Frame = { left: 64, top: 40 + index * panelHeight + 16, width: width - 64 - 20, height: panelHeight - 16 - 46 };
    const duration = Math.max(1, panel.numSteps) * dt;
    const neurons = Math.max(1, panel.numNeurons);
    const xTicks = niceTicks(0, duration, 8).filter((t) => t <= duration);
    const yTicks = niceTicks(0, neurons - 1, 3).filter((t) => t <= neurons - 1 && Number.isInteger(t));
    const xScale = (t: number) => frame.left + (t / duration) * frame.width;
    const yScale = (n: number) => frame.top + frame.height - ((n + 0.5) / neurons) * frame.height;
    out.push(`<text x="${fmt(frame.left)}" y="${fmt(frame.top - 5)}" ${FONT} font-size="12" fill="#222">${escapeXml(panel.label)}</text>`);
    out.push(...axes(frame, xTicks, yTicks, xScale, yScale, "time (ms)", options.yLabel ?? "neuron"));
    const dotWidth = Math.max(0.6, (frame.width / Math.max(1, panel.numSteps)) * 0.9);
    const dotHeight = Math.max(0.6, Math.min(3, (frame.height / neurons) * 0.9));
    let d = "";
    for (let k = 0; k < panel.steps.length; k++) {
      const x = xScale(panel.steps[k]! * dt);
      const y = yScale(panel.neurons[k]!) - dotHeight / 2;
      d += `M${fmt(x)} ${fmt(y)}h${fmt(dotWidth)}v${fmt(dotHeight)}h${fmt(-dotWidth)}z`;
    }
    out.push(`<g class="series" data-series="${escapeXml(panel.label)}" data-spikes="${panel.steps.length}">`);
    if (d !== "") out.push(`<path d="${d}" fill="${panel.color ?? color}" stroke="none"/>`);
    out.push(`</g>`);
  });
  out.push(`</svg>`, "");
  return out.join("\n");
}
