import { describe, it } from "vitest";
import type { Backend } from "@snn/core";
import { NEURON_CASES } from "./cases/neurons";
import { CONNECTIVITY_CASES } from "./cases/connectivity";
import { RANDOM_CASES } from "./cases/random";
import { MODEL_CASES } from "./cases/models";
import { RUNTIME_CASES } from "./cases/runtime";
import type { ConformanceCase } from "./cases/shared";

/** Options of {@link registerConformanceSuite}. */
export interface ConformanceOptions {
  /** Shown in the describe block, e.g. "cpu" or "wgsl (llvmpipe)". */
  readonly name: string;
  /** The backend under test (called once, lazily). */
  readonly backend: () => Promise<Backend> | Backend;
  /** A reference backend to compare against (the CPU backend); cases that need it are skipped without it. */
  readonly reference?: () => Promise<Backend> | Backend;
  /** Cases to skip, by id (see {@link CONFORMANCE_CASES}), each with the reason. */
  readonly skip?: Readonly<Record<string, string>>;
}

/** Every case of the suite, by id, in the order they run (cases/ holds them by theme). */
export const CONFORMANCE_CASES: readonly ConformanceCase[] = [
  ...NEURON_CASES,
  ...CONNECTIVITY_CASES,
  ...RANDOM_CASES,
  ...MODEL_CASES,
  ...RUNTIME_CASES,
];

/**
 * Registers the conformance suite with vitest: one `describe` block named after the backend
 * with one test per case. Call it once from a test file of the backend's package:
 *
 * ```ts
 * registerConformanceSuite({ name: "wgsl", backend: () => wgslBackend(device), reference: cpuBackend });
 * ```
 *
 * Skipped cases show their reason; spike differences explained by a float difference at a
 * threshold are reported as test annotations (and console warnings), unexplained ones fail.
 */
export function registerConformanceSuite(options: ConformanceOptions): void {
  const skip = options.skip ?? {};
  for (const [id, reason] of Object.entries(skip)) {
    if (!CONFORMANCE_CASES.some((c) => c.id === id)) {
      throw new Error(
        `registerConformanceSuite: unknown case '${id}' in skip. Cases: ${CONFORMANCE_CASES.map((c) => c.id).join(", ")}.`,
      );
    }
    if (typeof reason !== "string" || reason.trim() === "") {
      throw new Error(
        `registerConformanceSuite: skipping '${id}' needs a reason (a non-empty string).`,
      );
    }
  }
  let backend: Promise<Backend> | undefined;
  let reference: Promise<Backend | null> | undefined;
  describe(`conformance: ${options.name}`, () => {
    for (const c of CONFORMANCE_CASES) {
      const reason = skip[c.id];
      if (reason !== undefined) {
        it(`${c.id}: ${c.title}`, (test) => test.skip(`skipped for ${options.name}: ${reason}`));
        continue;
      }
      it(`${c.id}: ${c.title}`, async (test) => {
        backend ??= Promise.resolve(options.backend());
        reference ??= options.reference
          ? Promise.resolve(options.reference())
          : Promise.resolve(null);
        await c.run({
          backend: await backend,
          reference: await reference,
          test,
          report: async (message) => {
            console.warn(`[conformance ${options.name}] ${c.id}: ${message}`);
            await test.annotate(message, "warning");
          },
        });
      });
    }
  });
}
