/**
 * Line charts (training curves and any other series over a shared x axis): one or more series,
 * an optional second y axis on the right, shaded x ranges, vertical event lines and a legend.
 * Margins are computed from the labels, so axis labels and legend entries are never cut off.
 */
import {
  axisRange,
  bottomAxisHeight,
  drawAxes,
  extent,
  leftAxisWidth,
  linearScale,
  rightAxisWidth,
  tickLabelWidth,
  type Axis,
  type Frame,
} from "./axes";
import { tickLabel } from "./ticks";
import {
  checkSize,
  escapeXml,
  fail,
  fmt,
  FONT,
  FONT_SIZE,
  seriesColor,
  svgDocument,
  textWidth,
  topMargin,
} from "./svg";

/** One line of a chart. Non-finite y values leave a gap in the line. */
export interface LineSeries {
  /** Shown in the legend and as the `data-series` attribute of its group. */
  readonly name: string;
  /** x of each point; default 0, 1, 2, … (the index). Same length as `y`. */
  readonly x?: ArrayLike<number>;
  readonly y: ArrayLike<number>;
  /** CSS colour; default from `SERIES_COLORS` by position. */
  readonly color?: string;
  /** Dashed line. */
  readonly dashed?: boolean;
  /** Line width in pixels; default 2. */
  readonly lineWidth?: number;
  /** Which y axis the series is drawn against; default "left". */
  readonly axis?: "left" | "right";
}

/** A shaded x range behind the lines (e.g. a readout window). */
export interface Band {
  readonly from: number;
  readonly to: number;
  readonly color?: string;
}

/** Vertical lines at x positions (e.g. spike times), one group per entry. */
export interface EventLines {
  readonly name: string;
  readonly x: ArrayLike<number>;
  readonly color?: string;
}

export interface LineChartOptions {
  readonly series: readonly LineSeries[];
  /** Drawn at the top and used as the document's `<title>`; default none. */
  readonly title?: string;
  readonly xLabel?: string;
  /** Label of the left y axis. */
  readonly yLabel?: string;
  /** Label of the right y axis (drawn when a series has `axis: "right"`). */
  readonly rightLabel?: string;
  /** Pixels. Default 640 x 400. */
  readonly width?: number;
  readonly height?: number;
  /** Fixed ranges; default from the data, widened to nice ticks. */
  readonly xRange?: readonly [number, number];
  readonly yRange?: readonly [number, number];
  readonly rightRange?: readonly [number, number];
  /** A dot at each point. Default: when a series has at most 60 points. */
  readonly markers?: boolean;
  /** The legend right of the plot. Default: when there is more than one series. */
  readonly legend?: boolean;
  readonly bands?: readonly Band[];
  readonly events?: readonly EventLines[];
}

const PLOT = "lineChart";
const LEGEND_ROW = 18;

function xOf(s: LineSeries, i: number): number {
  return s.x ? s.x[i]! : i;
}

function* values(
  series: readonly LineSeries[],
  pick: (s: LineSeries, i: number) => number,
): Iterable<number> {
  for (const s of series) for (let i = 0; i < s.y.length; i++) yield pick(s, i);
}

function checkSeries(series: readonly LineSeries[]): void {
  for (const s of series) {
    if (s.x && s.x.length !== s.y.length)
      fail(
        PLOT,
        `series '${s.name}' has ${s.x.length} x values but ${s.y.length} y values; give one x per y.`,
      );
  }
}

/**
 * A line chart: axes with grid and ticks, one `<g class="series" data-series="NAME"
 * data-points="N">` per series (a `<path>` and, with markers, `<circle>`s), bands as
 * `<rect class="band">`, event lines as `<g class="events" data-events="NAME" data-count="N">`,
 * and a `<g class="legend">`. Returns a standalone SVG document.
 */
export function lineChart(options: LineChartOptions): string {
  const width = checkSize(PLOT, "width", options.width ?? 640);
  const height = checkSize(PLOT, "height", options.height ?? 400);
  const title = options.title ?? "";
  const series = options.series;
  checkSeries(series);
  const leftSeries = series.filter((s) => s.axis !== "right");
  const rightSeries = series.filter((s) => s.axis === "right");
  const hasRight = rightSeries.length > 0;

  const [dx0, dx1] = extent([
    ...values(series, xOf),
    ...(options.bands ?? []).flatMap((b) => [b.from, b.to]),
  ]);
  const xAxis = axisRange(dx0, dx1, 6, options.xRange);
  const [ly0, ly1] = extent(values(leftSeries, (s, i) => s.y[i]!));
  const yAxis = axisRange(ly0, ly1, 5, options.yRange);
  const [ry0, ry1] = extent(values(rightSeries, (s, i) => s.y[i]!));
  const rAxis = axisRange(ry0, ry1, 5, options.rightRange);

  const showLegend = (options.legend ?? series.length > 1) && series.length > 0;
  const legendWidth = showLegend
    ? 28 + Math.max(...series.map((s) => textWidth(s.name, FONT_SIZE.label)))
    : 0;
  // A legend wider than a third of the picture goes below the plot, one entry a row.
  const legendBelow = legendWidth > width / 3;
  const rightWidth = hasRight
    ? rightAxisWidth(tickLabelWidth(rAxis.ticks), options.rightLabel ?? "")
    : 0;
  const lastXTick =
    textWidth(tickLabel(xAxis.ticks[xAxis.ticks.length - 1] ?? 0), FONT_SIZE.tick) / 2 + 4;
  const left = leftAxisWidth(tickLabelWidth(yAxis.ticks), options.yLabel ?? "");
  const right = Math.max(
    rightWidth + (showLegend && !legendBelow ? 14 + legendWidth + 6 : 0),
    lastXTick,
    12,
  );
  const top = topMargin(title);
  const legendHeight = showLegend && legendBelow ? series.length * LEGEND_ROW + 4 : 0;
  const frame: Frame = {
    left,
    top,
    width: width - left - right,
    height: height - top - bottomAxisHeight(options.xLabel ?? "") - legendHeight,
  };
  if (frame.width < 20 || frame.height < 20)
    fail(
      PLOT,
      `${width} x ${height} pixels leave no room for the plot beside its labels; make the chart larger.`,
    );

  const xScale = linearScale(xAxis.min, xAxis.max, frame.left, frame.left + frame.width);
  const bottom = frame.top + frame.height;
  const y: Axis = {
    ticks: yAxis.ticks,
    scale: linearScale(yAxis.min, yAxis.max, bottom, frame.top),
    label: options.yLabel ?? "",
  };
  const r: Axis = {
    ticks: rAxis.ticks,
    scale: linearScale(rAxis.min, rAxis.max, bottom, frame.top),
    label: options.rightLabel ?? "",
  };
  const clampX = (v: number) => Math.min(frame.left + frame.width, Math.max(frame.left, xScale(v)));

  const body: string[] = [];
  for (const band of options.bands ?? []) {
    const [a, b] = [clampX(band.from), clampX(band.to)];
    body.push(
      `<rect class="band" x="${fmt(Math.min(a, b))}" y="${fmt(frame.top)}" width="${fmt(Math.abs(b - a))}" height="${fmt(frame.height)}" fill="${band.color ?? "#ececec"}"/>`,
    );
  }
  body.push(
    ...drawAxes(
      frame,
      width,
      { ticks: xAxis.ticks, scale: xScale, label: options.xLabel ?? "" },
      y,
      hasRight ? r : undefined,
    ),
  );
  for (const events of options.events ?? []) {
    let d = "";
    for (let i = 0; i < events.x.length; i++) {
      if (Number.isFinite(events.x[i]!))
        d += `M${fmt(xScale(events.x[i]!))} ${fmt(frame.top)}V${fmt(bottom)}`;
    }
    body.push(
      `<g class="events" data-events="${escapeXml(events.name)}" data-count="${events.x.length}">`,
    );
    if (d !== "")
      body.push(
        `<path d="${d}" stroke="${events.color ?? "#bbbbbb"}" stroke-width="1" fill="none"/>`,
      );
    body.push(`</g>`);
  }
  // Thicker lines last, so that a highlighted series is drawn over the others.
  const order = series
    .map((s, index) => ({ s, index }))
    .sort((a, b) => (a.s.lineWidth ?? 2) - (b.s.lineWidth ?? 2));
  for (const { s, index } of order) {
    const color = seriesColor(index, s.color);
    const scaleY = s.axis === "right" ? r.scale : y.scale;
    const markers = options.markers ?? s.y.length <= 60;
    let d = "";
    let penDown = false;
    const dots: string[] = [];
    for (let i = 0; i < s.y.length; i++) {
      const [vx, vy] = [xOf(s, i), s.y[i]!];
      if (!Number.isFinite(vx) || !Number.isFinite(vy)) {
        penDown = false;
        continue;
      }
      const [px, py] = [fmt(xScale(vx)), fmt(scaleY(vy))];
      d += `${penDown ? "L" : "M"}${px} ${py} `;
      penDown = true;
      if (markers) dots.push(`<circle cx="${px}" cy="${py}" r="2.5"/>`);
    }
    body.push(
      `<g class="series" data-series="${escapeXml(s.name)}" data-points="${s.y.length}" data-axis="${s.axis ?? "left"}">`,
    );
    if (d !== "") {
      body.push(
        `<path d="${d.trim()}" fill="none" stroke="${color}" stroke-width="${fmt(s.lineWidth ?? 2)}" stroke-linejoin="round"${s.dashed === true ? ` stroke-dasharray="6 4"` : ""}/>`,
      );
    }
    if (dots.length > 0) body.push(`<g fill="${color}">${dots.join("")}</g>`);
    body.push(`</g>`);
  }
  if (showLegend) {
    const lx = legendBelow ? frame.left : frame.left + frame.width + rightWidth + 14;
    const rowHeight = legendBelow
      ? LEGEND_ROW
      : Math.min(20, frame.height / Math.max(1, series.length));
    const top0 = legendBelow ? height - legendHeight : frame.top;
    body.push(`<g class="legend" ${FONT} font-size="${FONT_SIZE.label}">`);
    series.forEach((s, index) => {
      const color = seriesColor(index, s.color);
      const ly = top0 + rowHeight / 2 + index * rowHeight;
      body.push(
        `<line x1="${fmt(lx)}" y1="${fmt(ly)}" x2="${fmt(lx + 22)}" y2="${fmt(ly)}" stroke="${color}" stroke-width="${fmt(s.lineWidth ?? 2)}"${s.dashed === true ? ` stroke-dasharray="6 4"` : ""}/>`,
      );
      body.push(
        `<text x="${fmt(lx + 28)}" y="${fmt(ly)}" dy="0.32em" fill="#222">${escapeXml(s.name)}</text>`,
      );
    });
    body.push(`</g>`);
  }
  return svgDocument(width, height, title, body);
}
