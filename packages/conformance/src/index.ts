/**
 * @snn/conformance (private): the conformance suite every @snn backend must pass, and the
 * canonical networks it runs. A backend's package registers the suite once in a test file:
 *
 * ```ts
 * import { registerConformanceSuite } from "@snn/conformance";
 * registerConformanceSuite({ name: "wgsl", backend: () => wgslBackend(device), reference: cpuBackend });
 * ```
 */
export { registerConformanceSuite, CONFORMANCE_CASES, type ConformanceOptions } from "./suite";
export {
  alifThresholdDistance,
  compareTraces,
  lifThresholdDistance,
  spikesByStep,
  traceRun,
  type CompareOptions,
  type PopulationTrace,
  type ThresholdDistance,
  type TraceComparison,
} from "./compare";
export * from "./networks";
