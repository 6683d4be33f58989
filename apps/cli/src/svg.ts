/**
 * The CLI draws its plots with @snn/plot; this module names the types other CLI modules use
 * for them.
 */
export type { LineSeries, RasterPanel } from "@snn/plot";
