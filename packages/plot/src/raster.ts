/**
 * Spike rasters: one panel per group of neurons (a population, or one sample's spikes),
 * stacked top to bottom, a mark per spike at (time, neuron).
 */
import {
  axisRange,
  bottomAxisHeight,
  drawAxes,
  leftAxisWidth,
  linearScale,
  tickLabelWidth,
  type Frame,
} from "./axes";
import { checkSize, escapeXml, fail, fmt, FONT, FONT_SIZE, svgDocument, topMargin } from "./svg";
import { niceTicks } from "./ticks";

/** The spikes of one panel: parallel arrays of step and neuron index. */
export interface RasterPanel {
  /** Caption above the panel, e.g. "sample 12, label 3, predicted 3". */
  readonly label: string;
  readonly steps: ArrayLike<number>;
  readonly neurons: ArrayLike<number>;
  /** Steps of the trial (the time axis) and neurons of the group (the y axis). */
  readonly numSteps: number;
  readonly numNeurons: number;
  /** Colour of this panel's marks; default the raster's `color`. */
  readonly color?: string;
}

export interface RasterOptions {
  readonly panels: readonly RasterPanel[];
  /** Drawn at the top and used as the document's `<title>`; default none. */
  readonly title?: string;
  /** Step length, for the time axis. Default 1. */
  readonly dt?: number;
  /** Label of the time axes. Default "time (ms)". */
  readonly xLabel?: string;
  /** Label of the y axes. Default "neuron". */
  readonly yLabel?: string;
  /** Pixels. Default 800 wide, 150 per panel. */
  readonly width?: number;
  readonly panelHeight?: number;
  /** Default colour of the marks. */
  readonly color?: string;
}

const PLOT = "spikeRaster";
const CAPTION = 16;

function checkPanel(panel: RasterPanel): void {
  const where = `panel '${panel.label}'`;
  if (panel.steps.length !== panel.neurons.length)
    fail(
      PLOT,
      `${where} has ${panel.steps.length} steps but ${panel.neurons.length} neurons; give one neuron per spike.`,
    );
  if (!(panel.numSteps >= 0) || !(panel.numNeurons >= 0))
    fail(PLOT, `${where} needs numSteps and numNeurons of at least 0.`);
  for (let k = 0; k < panel.steps.length; k++) {
    const [step, neuron] = [panel.steps[k]!, panel.neurons[k]!];
    if (
      !(step >= 0 && step < Math.max(1, panel.numSteps)) ||
      !(neuron >= 0 && neuron < Math.max(1, panel.numNeurons))
    ) {
      fail(
        PLOT,
        `${where}: spike ${k} at step ${step}, neuron ${neuron} lies outside ${panel.numSteps} steps x ${panel.numNeurons} neurons.`,
      );
    }
  }
}

/**
 * A spike raster. Each panel is a `<g class="series" data-series="LABEL" data-spikes="N">`
 * holding one `<path>` with a small rectangle (`M…z`) per spike. Returns a standalone SVG document.
 */
export function spikeRaster(options: RasterOptions): string {
  const width = checkSize(PLOT, "width", options.width ?? 800);
  const panelHeight = checkSize(PLOT, "panelHeight", options.panelHeight ?? 150);
  const dt = options.dt ?? 1;
  if (!(dt > 0)) fail(PLOT, `dt must be a positive step length, got ${dt}.`);
  const title = options.title ?? "";
  const xLabel = options.xLabel ?? "time (ms)";
  const yLabel = options.yLabel ?? "neuron";
  options.panels.forEach(checkPanel);
  const yTicksOf = (panel: RasterPanel) => {
    const top = Math.max(1, panel.numNeurons) - 1;
    return niceTicks(0, top, 3).filter((t) => t >= 0 && t <= top && Number.isInteger(t));
  };
  const left = leftAxisWidth(
    Math.max(0, ...options.panels.map((p) => tickLabelWidth(yTicksOf(p)))),
    yLabel,
  );
  const frameHeight = panelHeight - CAPTION - bottomAxisHeight(xLabel);
  if (frameHeight < 10 || width - left - 20 < 20)
    fail(
      PLOT,
      `panels of ${width} x ${panelHeight} pixels leave no room for the spikes; make them larger.`,
    );
  const top0 = topMargin(title);
  const height = top0 + options.panels.length * panelHeight + 4;

  const body: string[] = [];
  options.panels.forEach((panel, index) => {
    const frame: Frame = {
      left,
      top: top0 + index * panelHeight + CAPTION,
      width: width - left - 20,
      height: frameHeight,
    };
    const duration = Math.max(1, panel.numSteps) * dt;
    const neurons = Math.max(1, panel.numNeurons);
    const time = axisRange(0, duration, 8, [0, duration]);
    const xScale = linearScale(0, duration, frame.left, frame.left + frame.width);
    const yScale = (n: number) => frame.top + frame.height - ((n + 0.5) / neurons) * frame.height;
    body.push(
      `<text class="caption" x="${fmt(frame.left)}" y="${fmt(frame.top - 5)}" ${FONT} font-size="${FONT_SIZE.label}" fill="#222">${escapeXml(panel.label)}</text>`,
    );
    body.push(
      ...drawAxes(
        frame,
        width,
        { ticks: time.ticks, scale: xScale, label: xLabel },
        { ticks: yTicksOf(panel), scale: yScale, label: yLabel },
      ),
    );
    const dotWidth = Math.max(0.6, (frame.width / Math.max(1, panel.numSteps)) * 0.9);
    const dotHeight = Math.max(0.6, Math.min(3, (frame.height / neurons) * 0.9));
    let d = "";
    for (let k = 0; k < panel.steps.length; k++) {
      const x = xScale(panel.steps[k]! * dt);
      const y = yScale(panel.neurons[k]!) - dotHeight / 2;
      d += `M${fmt(x)} ${fmt(y)}h${fmt(dotWidth)}v${fmt(dotHeight)}h${fmt(-dotWidth)}z`;
    }
    body.push(
      `<g class="series" data-series="${escapeXml(panel.label)}" data-spikes="${panel.steps.length}">`,
    );
    if (d !== "")
      body.push(
        `<path d="${d}" fill="${panel.color ?? options.color ?? "#1f1f1f"}" stroke="none"/>`,
      );
    body.push(`</g>`);
  });
  return svgDocument(width, height, title, body);
}
