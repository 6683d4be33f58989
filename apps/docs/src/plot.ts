// Canvas2D drawing for the examples (a headless browser cannot show a WebGPU canvas, and
// these plots are small): a spike raster and line charts.

export interface RasterRow {
  readonly steps: Int32Array;
  readonly neurons: Int32Array;
  readonly size: number;
  readonly color: string;
  readonly label: string;
}

function prepare(canvas: HTMLCanvasElement): CanvasRenderingContext2D {
  const context = canvas.getContext("2d");
  if (!context) throw new Error("This browser gives no 2D canvas context.");
  context.fillStyle = "#ffffff";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.font = "12px system-ui, sans-serif";
  return context;
}

/**
 * Populations stacked top to bottom; one dot per spike; time left to right. Returns the dots
 * drawn. `endLabel` names the end of the time axis (default `${numSteps} ms`, for 1 ms steps).
 */
export function drawRaster(canvas: HTMLCanvasElement, rows: readonly RasterRow[], numSteps: number, endLabel = `${numSteps} ms`): number {
  const context = prepare(canvas);
  const left = 48;
  const width = canvas.width - left - 8;
  const height = canvas.height - 24;
  const total = rows.reduce((sum, row) => sum + row.size, 0);
  const rowHeight = height / Math.max(1, total);
  let offset = 0;
  let dots = 0;
  for (const row of rows) {
    context.fillStyle = row.color;
    for (let i = 0; i < row.steps.length; i++) {
      const x = left + (row.steps[i]! / numSteps) * width;
      const y = (offset + row.neurons[i]!) * rowHeight;
      context.fillRect(x, y, 1.5, Math.max(1, rowHeight));
      dots++;
    }
    context.fillText(row.label, 4, (offset + row.size / 2) * rowHeight + 4);
    offset += row.size;
    context.fillStyle = "#999999";
    context.fillRect(left, offset * rowHeight, width, 0.5);
  }
  context.fillStyle = "#333333";
  context.fillText("0", left, canvas.height - 6);
  context.fillText(endLabel, canvas.width - 8 - context.measureText(endLabel).width, canvas.height - 6);
  return dots;
}

export interface Series {
  readonly values: readonly number[];
  readonly color: string;
  readonly label: string;
  /** Fixed range of the axis; default the range of the values. */
  readonly range?: readonly [number, number];
  /** x positions to mark with a vertical line (indices into values). */
  readonly marks?: ArrayLike<number>;
}

/** One or more series over a shared x axis of `length` points, each with its own y range. */
export function drawLines(canvas: HTMLCanvasElement, series: readonly Series[], length: number, xLabel: string): void {
  const context = prepare(canvas);
  const left = 48;
  const right = 48;
  const width = canvas.width - left - right;
  const height = canvas.height - 28;
  context.strokeStyle = "#cccccc";
  context.strokeRect(left, 4, width, height - 4);
  series.forEach((line, index) => {
    const finite = line.values.filter(Number.isFinite);
    const [low, high] = line.range ?? [Math.min(...finite, 0), Math.max(...finite, 1e-9)];
    const x = (i: number) => left + (length > 1 ? (i / (length - 1)) * width : width / 2);
    const y = (v: number) => 4 + (height - 4) * (1 - (Math.min(high, Math.max(low, v)) - low) / (high - low || 1));
    context.strokeStyle = line.color;
    context.fillStyle = line.color;
    context.lineWidth = 1.5;
    for (const mark of Array.from(line.marks ?? [])) {
      context.fillRect(x(mark), 4, 1, height - 4);
    }
    context.beginPath();
    line.values.forEach((v, i) => (i === 0 ? context.moveTo(x(i), y(v)) : context.lineTo(x(i), y(v))));
    context.stroke();
    if (line.values.length === 1) context.fillRect(x(0) - 2, y(line.values[0]!) - 2, 4, 4);
    const labelX = index === 0 ? 4 : canvas.width - right + 4;
    context.fillText(String(+high.toPrecision(3)), labelX, 14);
    context.fillText(String(+low.toPrecision(3)), labelX, height);
    context.fillText(line.label, labelX, height / 2);
  });
  context.fillStyle = "#333333";
  context.fillText(xLabel, left + width / 2 - context.measureText(xLabel).width / 2, canvas.height - 6);
}

/**
 * Several series on one shared y range (e.g. the softmax of each class over time), with a
 * legend on the right; `highlight` (an index) is drawn thicker, over the others; `shade`
 * (`[from, to)` in points) is drawn as a grey band behind them.
 */
export function drawSharedLines(
  canvas: HTMLCanvasElement,
  series: readonly Series[],
  length: number,
  xLabel: string,
  range: readonly [number, number],
  options: { readonly highlight?: number; readonly shade?: readonly [number, number] } = {},
): void {
  const { highlight, shade } = options;
  const context = prepare(canvas);
  const left = 36;
  const right = 40;
  const width = canvas.width - left - right;
  const height = canvas.height - 28;
  const [low, high] = range;
  const x = (i: number) => left + (length > 1 ? (i / (length - 1)) * width : width / 2);
  const y = (v: number) => 4 + (height - 4) * (1 - (Math.min(high, Math.max(low, v)) - low) / (high - low || 1));
  if (shade) {
    context.fillStyle = "#ececec";
    context.fillRect(x(shade[0]), 4, x(Math.max(shade[0], shade[1] - 1)) - x(shade[0]) + 1, height - 4);
  }
  context.strokeStyle = "#cccccc";
  context.strokeRect(left, 4, width, height - 4);
  const order = series.map((_, i) => i).filter((i) => i !== highlight);
  if (highlight !== undefined && series[highlight]) order.push(highlight);
  for (const index of order) {
    const line = series[index]!;
    context.strokeStyle = line.color;
    context.lineWidth = index === highlight ? 2.5 : 1;
    context.beginPath();
    line.values.forEach((v, i) => (i === 0 ? context.moveTo(x(i), y(v)) : context.lineTo(x(i), y(v))));
    context.stroke();
  }
  context.fillStyle = "#333333";
  context.fillText(String(high), 4, 14);
  context.fillText(String(low), 4, height);
  const rowHeight = Math.min(16, (height - 4) / Math.max(1, series.length));
  series.forEach((line, index) => {
    context.fillStyle = line.color;
    context.fillRect(canvas.width - right + 6, 6 + index * rowHeight, 10, 3);
    context.font = index === highlight ? "bold 12px system-ui, sans-serif" : "12px system-ui, sans-serif";
    context.fillText(line.label, canvas.width - right + 20, 10 + index * rowHeight);
  });
  context.font = "12px system-ui, sans-serif";
  context.fillStyle = "#333333";
  context.fillText(xLabel, left + width / 2 - context.measureText(xLabel).width / 2, canvas.height - 6);
}
