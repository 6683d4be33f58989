/**
 * Membrane (voltage) traces over time: one line per neuron, its spikes as vertical lines in
 * its colour, and an optional dashed threshold. Built on `lineChart`.
 */
import { lineChart, type EventLines, type LineSeries } from "./line-chart";
import { fail, seriesColor } from "./svg";

/** One neuron's trace: its value at every step and, optionally, the steps it spiked at. */
export interface MembraneTrace {
  readonly name: string;
  readonly v: ArrayLike<number>;
  readonly spikes?: ArrayLike<number>;
  readonly color?: string;
}

export interface MembraneTraceOptions {
  readonly traces: readonly MembraneTrace[];
  /** Step length, for the time axis. Default 1. */
  readonly dt?: number;
  /** A horizontal dashed line at this value, named "threshold" in the legend. */
  readonly threshold?: number;
  readonly title?: string;
  /** Default "time (ms)" and "membrane potential". */
  readonly xLabel?: string;
  readonly yLabel?: string;
  /** Pixels. Default 640 x 300. */
  readonly width?: number;
  readonly height?: number;
  /** Fixed y range; default from the data. */
  readonly yRange?: readonly [number, number];
}

/**
 * Membrane traces. Each trace is a `<g class="series" data-series="NAME">` (as in `lineChart`),
 * its spikes a `<g class="events" data-events="NAME spikes" data-count="N">`; the threshold is a
 * series named "threshold". Returns a standalone SVG document.
 */
export function membraneTrace(options: MembraneTraceOptions): string {
  const dt = options.dt ?? 1;
  if (!(dt > 0)) fail("membraneTrace", `dt must be a positive step length, got ${dt}.`);
  const steps = Math.max(0, ...options.traces.map((t) => t.v.length));
  const series: LineSeries[] = options.traces.map((t, index) => ({
    name: t.name,
    x: Array.from({ length: t.v.length }, (_, i) => i * dt),
    y: t.v,
    color: seriesColor(index, t.color),
    lineWidth: 1.5,
  }));
  const events: EventLines[] = options.traces
    .map((t, index) => ({ trace: t, index }))
    .filter(({ trace }) => trace.spikes !== undefined)
    .map(({ trace, index }) => ({
      name: `${trace.name} spikes`,
      x: Array.from(trace.spikes!, (s) => s * dt),
      color: seriesColor(index, trace.color),
    }));
  if (options.threshold !== undefined) {
    series.push({
      name: "threshold",
      x: [0, Math.max(0, steps - 1) * dt],
      y: [options.threshold, options.threshold],
      color: "#777777",
      dashed: true,
      lineWidth: 1,
    });
  }
  return lineChart({
    series,
    events,
    markers: false,
    legend: series.length > 1,
    xLabel: options.xLabel ?? "time (ms)",
    yLabel: options.yLabel ?? "membrane potential",
    width: options.width ?? 640,
    height: options.height ?? 300,
    xRange: [0, Math.max(1, steps - 1) * dt],
    ...(options.title !== undefined ? { title: options.title } : {}),
    ...(options.yRange !== undefined ? { yRange: options.yRange } : {}),
  });
}
