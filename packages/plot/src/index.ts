/**
 * @snn/plot: SVG plots for spiking networks as pure functions returning SVG strings. They need
 * no DOM, so they work the same in Node (write the string to a `.svg` file) and in a browser
 * (set it as an element's `innerHTML`, or serve it as `image/svg+xml`).
 */
export {
  lineChart,
  type Band,
  type EventLines,
  type LineChartOptions,
  type LineSeries,
} from "./line-chart";
export { spikeRaster, type RasterOptions, type RasterPanel } from "./raster";
export { confusionMatrix, type ConfusionMatrixOptions } from "./confusion-matrix";
export { membraneTrace, type MembraneTrace, type MembraneTraceOptions } from "./membrane-trace";
export { escapeXml, SERIES_COLORS } from "./svg";
export { niceTicks } from "./ticks";
