/**
 * Gradient check against a reference fixture (the format of spec/fixtures/eprop-gradient.json):
 * builds the fixture's network with the e-prop pass, runs the forward pass and e-prop through
 * the normal compile-and-run path on a backend, and compares spikes, states, loss and
 * gradients with the fixture.
 */
import type { Backend, SpikeEvents } from "@snn/core";
import type { EligibilityMode } from "./compile";
import { defineEpropNetwork } from "./define-network";
import type { EpropNetworkDescription } from "./description";
import { DEFAULT_CHUNK_STEPS, EpropRuntime, type ChunkedTraces } from "./eprop-runtime";
import { GradcheckFixtureError } from "./errors";
import type { ParameterSet } from "./parameters";
import { prepareTrial } from "./trial";

/** Largest relative gradient error (max-abs normalised) that passes, as in the spec. */
export const GRADCHECK_TOLERANCE = 1e-4;
/** Largest absolute error of forward states (v, a, A, psi, y, pi) that passes. */
export const FORWARD_TOLERANCE = 1e-3;

/** Comparison of one gradient with the fixture's `grad_eprop`. */
export interface GradientComparison {
  /** Fixture name: `W_in`, `W_rec`, `W_out` or `b_out`. */
  readonly name: string;
  /** max |g - g_ref| / max |g_ref| (or max |g - g_ref| when the reference is all 0). */
  readonly relativeError: number;
  readonly maxAbsReference: number;
  readonly passed: boolean;
}

/** Result of one fixture case. */
export interface GradcheckCaseReport {
  readonly name: string;
  readonly passed: boolean;
  /** Spike trains identical at every step and neuron. */
  readonly spikesMatch: boolean;
  /** (step, neuron) pairs whose spike differs. */
  readonly spikeMismatches: number;
  /** Largest absolute error of each forward state over steps and neurons. */
  readonly forwardErrors: Readonly<Record<"v" | "a" | "A" | "psi" | "y" | "pi", number>>;
  readonly loss: {
    readonly expected: number;
    readonly actual: number;
    readonly relativeError: number;
  };
  readonly gradients: readonly GradientComparison[];
  /** Where chunked eligibility ran (null: per-step eligibility). */
  readonly chunkedTraces: ChunkedTraces | null;
}

/** Result of {@link runGradcheck}. */
export interface GradcheckReport {
  readonly passed: boolean;
  readonly backend: string;
  /** How eligibility was evaluated: `perStep`, or `chunked` with its chunk length and where the traces ran. */
  readonly eligibility: EligibilityMode;
  readonly chunkSteps: number | null;
  readonly chunkedTraces: ChunkedTraces | null;
  readonly tolerance: number;
  readonly forwardTolerance: number;
  readonly cases: readonly GradcheckCaseReport[];
}

interface FixtureCase {
  name: string;
  beta: number[];
  lossMask: number[];
  loss: number;
  forward: Record<"v" | "a" | "A" | "z" | "psi" | "y" | "pi", number[][]>;
  grad: Record<"W_in" | "W_rec" | "W_out" | "b_out", number[][] | number[]>;
}

interface Fixture {
  nIn: number;
  nRec: number;
  nOut: number;
  numSteps: number;
  dt: number;
  tauMem: number;
  tauAdapt: number;
  tauOut: number;
  vThresh: number;
  gamma: number;
  refractorySteps: number;
  inputs: number[][];
  target: number;
  weights: {
    W_in: number[][];
    W_rec: number[][];
    W_out: number[][];
    b_out: number[];
    B_feedback: number[][];
  };
  cases: FixtureCase[];
}

function fail(message: string): never {
  throw new GradcheckFixtureError(`Gradient-check fixture: ${message}`);
}

function num(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    fail(`${what} must be a finite number, got ${JSON.stringify(value)}.`);
  return value;
}

function int(value: unknown, what: string, min = 1): number {
  const n = num(value, what);
  if (!Number.isInteger(n) || n < min) fail(`${what} must be an integer >= ${min}, got ${n}.`);
  return n;
}

function matrix(value: unknown, rows: number, columns: number, what: string): number[][] {
  if (!Array.isArray(value) || value.length !== rows)
    fail(
      `${what} must be a ${rows} x ${columns} array, got ${Array.isArray(value) ? `${value.length} rows` : typeof value}.`,
    );
  return value.map((row: unknown, r) => {
    if (!Array.isArray(row) || row.length !== columns)
      fail(
        `${what}[${r}] must have ${columns} values, got ${Array.isArray(row) ? row.length : typeof row}.`,
      );
    return row.map((x: unknown, c) => num(x, `${what}[${r}][${c}]`));
  });
}

function vector(value: unknown, length: number, what: string): number[] {
  if (!Array.isArray(value) || value.length !== length)
    fail(
      `${what} must be an array of ${length} numbers, got ${Array.isArray(value) ? value.length : typeof value}.`,
    );
  return value.map((x: unknown, i) => num(x, `${what}[${i}]`));
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(`${what} must be an object.`);
  return value as Record<string, unknown>;
}

/** Checks a fixture and converts it to typed form. */
function parseFixture(value: unknown): Fixture {
  const root = record(value, "the fixture");
  const params = record(root.params, "params");
  const nIn = int(params.n_in, "params.n_in");
  const nRec = int(params.n_rec, "params.n_rec");
  const nOut = int(params.n_out, "params.n_out");
  const numSteps = int(params.T, "params.T");
  const inputs = matrix(root.inputs_x, numSteps, nIn, "inputs_x");
  for (const [s, row] of inputs.entries()) {
    for (const [i, x] of row.entries())
      if (x !== 0 && x !== 1) fail(`inputs_x[${s}][${i}] is ${x}; inputs are spikes (0 or 1).`);
  }
  const targets = matrix(root.targets_onehot, numSteps, nOut, "targets_onehot");
  const first = targets[0]!;
  if (first.filter((x) => x === 1).length !== 1 || first.some((x) => x !== 0 && x !== 1))
    fail("targets_onehot rows must be one-hot.");
  if (targets.some((row) => row.some((x, k) => x !== first[k]))) {
    fail("targets_onehot changes over time; e-prop trials here have one target class per trial.");
  }
  const target = first.indexOf(1);
  const weightsRecord = record(root.weights, "weights");
  const weights = {
    W_in: matrix(weightsRecord.W_in, nRec, nIn, "weights.W_in"),
    W_rec: matrix(weightsRecord.W_rec, nRec, nRec, "weights.W_rec"),
    W_out: matrix(weightsRecord.W_out, nOut, nRec, "weights.W_out"),
    b_out: vector(weightsRecord.b_out, nOut, "weights.b_out"),
    B_feedback: matrix(weightsRecord.B_feedback, nRec, nOut, "weights.B_feedback"),
  };
  for (let j = 0; j < nRec; j++)
    if (weights.W_rec[j]![j] !== 0)
      fail(`weights.W_rec has a self-connection at ${j}; the diagonal must be 0.`);
  if (!Array.isArray(root.cases) || root.cases.length === 0)
    fail("cases must be a non-empty array.");
  const cases = root.cases.map((raw: unknown, index): FixtureCase => {
    const c = record(raw, `cases[${index}]`);
    const name = typeof c.name === "string" ? c.name : `case ${index}`;
    const where = `case '${name}'`;
    const forwardRecord = record(c.forward, `${where}.forward`);
    const forward = {
      v: matrix(forwardRecord.v, numSteps, nRec, `${where}.forward.v`),
      a: matrix(forwardRecord.a, numSteps, nRec, `${where}.forward.a`),
      A: matrix(forwardRecord.A, numSteps, nRec, `${where}.forward.A`),
      z: matrix(forwardRecord.z, numSteps, nRec, `${where}.forward.z`),
      psi: matrix(forwardRecord.psi, numSteps, nRec, `${where}.forward.psi`),
      y: matrix(forwardRecord.y, numSteps, nOut, `${where}.forward.y`),
      pi: matrix(forwardRecord.pi, numSteps, nOut, `${where}.forward.pi`),
    };
    const gradRecord = record(c.grad_eprop, `${where}.grad_eprop`);
    const grad = {
      W_in: matrix(gradRecord.W_in, nRec, nIn, `${where}.grad_eprop.W_in`),
      W_rec: matrix(gradRecord.W_rec, nRec, nRec, `${where}.grad_eprop.W_rec`),
      W_out: matrix(gradRecord.W_out, nOut, nRec, `${where}.grad_eprop.W_out`),
      b_out: vector(gradRecord.b_out, nOut, `${where}.grad_eprop.b_out`),
    };
    const lossMask = vector(c.loss_mask, numSteps, `${where}.loss_mask`);
    if (lossMask.some((m) => m !== 0 && m !== 1)) fail(`${where}.loss_mask must hold 0 or 1.`);
    return {
      name,
      beta: vector(c.beta, nRec, `${where}.beta`),
      lossMask,
      loss: num(c.loss, `${where}.loss`),
      forward,
      grad,
    };
  });
  return {
    nIn,
    nRec,
    nOut,
    numSteps,
    dt: num(params.dt_ms ?? 1, "params.dt_ms"),
    tauMem: num(params.tau_m_ms, "params.tau_m_ms"),
    tauAdapt: num(params.tau_a_ms, "params.tau_a_ms"),
    tauOut: num(params.tau_out_ms, "params.tau_out_ms"),
    vThresh: num(params.v_th, "params.v_th"),
    gamma: num(params.gamma_pd ?? 0.3, "params.gamma_pd"),
    refractorySteps: int(params.refractory_steps ?? 0, "params.refractory_steps", 0),
    inputs,
    target,
    weights,
    cases,
  };
}

function flat(rows: readonly (readonly number[])[]): Float32Array {
  return Float32Array.from(rows.flat());
}

function isTransposeOf(b: number[][], w: number[][]): boolean {
  return b.every((row, j) =>
    row.every((x, k) => Math.abs(x - w[k]![j]!) <= 1e-12 * Math.max(1, Math.abs(x))),
  );
}

function descriptionFor(fixture: Fixture, c: FixtureCase): EpropNetworkDescription {
  const adaptive = c.beta.some((b) => b !== 0);
  const symmetric = isTransposeOf(fixture.weights.B_feedback, fixture.weights.W_out);
  return defineEpropNetwork({
    dt: fixture.dt,
    input: { name: "input", size: fixture.nIn },
    hidden: [
      {
        name: "hidden",
        size: fixture.nRec,
        neuron: adaptive ? "ALIF" : "LIF",
        recurrent: true,
        tauMemMs: fixture.tauMem,
        tauAdaptMs: fixture.tauAdapt,
        vThresh: fixture.vThresh,
        gamma: fixture.gamma,
        refractorySteps: fixture.refractorySteps,
        ...(adaptive ? { beta: c.beta } : {}),
      },
    ],
    readout: { name: "output", size: fixture.nOut, tauOutMs: fixture.tauOut },
    feedback: symmetric ? "symmetric" : "random",
    regularisation: false,
  });
}

function relativeError(
  actual: ArrayLike<number>,
  expected: readonly number[],
): { relativeError: number; maxAbsReference: number } {
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < expected.length; i++) {
    maxDiff = Math.max(maxDiff, Math.abs(actual[i]! - expected[i]!));
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  return { relativeError: maxRef > 0 ? maxDiff / maxRef : maxDiff, maxAbsReference: maxRef };
}

async function runCase(
  fixture: Fixture,
  c: FixtureCase,
  backend: Backend,
  tolerance: number,
  evaluation: {
    readonly eligibility: EligibilityMode;
    readonly chunkSteps?: number;
    readonly chunkedTraces?: ChunkedTraces;
  },
): Promise<GradcheckCaseReport> {
  const description = descriptionFor(fixture, c);
  const parameters: ParameterSet = {
    "input->hidden": flat(fixture.weights.W_in),
    "hidden->hidden": flat(fixture.weights.W_rec),
    "hidden->output": flat(fixture.weights.W_out),
    "output.bias": Float32Array.from(fixture.weights.b_out),
  };
  if (description.feedback === "random")
    parameters["output->hidden.feedback"] = flat(fixture.weights.B_feedback);
  const session = await EpropRuntime.create(description, {
    backend,
    batchSize: 1,
    mode: "train",
    parameters,
    ...evaluation,
  });
  try {
    const steps: number[] = [];
    const units: number[] = [];
    fixture.inputs.forEach((row, s) =>
      row.forEach((x, i) => {
        if (x === 1) {
          steps.push(s);
          units.push(i);
        }
      }),
    );
    const events: SpikeEvents = { steps: Int32Array.from(steps), units: Int32Array.from(units) };
    const trial = prepareTrial(
      {
        inputs: [events],
        labels: Int32Array.of(fixture.target),
        numSteps: fixture.numSteps,
        lossMask: Float32Array.from(c.lossMask),
      },
      description,
      1,
      "batch",
    );
    const T = fixture.numSteps;
    const nRec = fixture.nRec;
    const errors = { v: 0, a: 0, A: 0, psi: 0, y: 0, pi: 0 };
    let spikeMismatches = 0;
    const compare = (
      key: keyof typeof errors,
      actual: ArrayLike<number>,
      expected: readonly number[],
    ): void => {
      for (let i = 0; i < expected.length; i++)
        errors[key] = Math.max(errors[key], Math.abs(actual[i]! - expected[i]!));
    };
    const rt = session.runtime;
    const outputs = await session.runTrial(trial, {
      afterStep: async (s) => {
        if (s < T) {
          const [v, a, thr, z, psi, y] = await Promise.all([
            rt.readVar("hidden", "V"),
            rt.readVar("hidden", "A"),
            rt.readVar("hidden", "Thr"),
            rt.readVar("hidden", "Z"),
            rt.readVar("hidden", "Psi0"),
            rt.readVar("output", "Y"),
          ]);
          compare("v", v, c.forward.v[s]!);
          compare("a", a, c.forward.a[s]!);
          compare("A", thr, c.forward.A[s]!);
          compare("psi", psi, c.forward.psi[s]!);
          compare("y", y, c.forward.y[s]!);
          for (let j = 0; j < nRec; j++) if (z[j] !== c.forward.z[s]![j]) spikeMismatches++;
        }
        // The readout computes pi(s-1) in step s.
        if (s >= 1 && s <= T) compare("pi", await rt.readVar("output", "Pi"), c.forward.pi[s - 1]!);
      },
    });
    const gradients = await session.readGradients();
    const comparisons: GradientComparison[] = (
      [
        ["W_in", "input->hidden", c.grad.W_in],
        ["W_rec", "hidden->hidden", c.grad.W_rec],
        ["W_out", "hidden->output", c.grad.W_out],
        ["b_out", "output.bias", c.grad.b_out],
      ] as const
    ).map(([name, parameter, reference]) => {
      const expected = (reference as (number[] | number)[]).flat();
      const { relativeError: err, maxAbsReference } = relativeError(
        gradients[parameter]!,
        expected,
      );
      return { name, relativeError: err, maxAbsReference, passed: err <= tolerance };
    });
    const actualLoss = outputs.loss[0]!;
    const lossError = Math.abs(actualLoss - c.loss) / Math.max(Math.abs(c.loss), 1e-12);
    const forwardOk = Object.values(errors).every((e) => e <= FORWARD_TOLERANCE);
    const passed =
      spikeMismatches === 0 &&
      forwardOk &&
      lossError <= tolerance &&
      comparisons.every((g) => g.passed);
    return {
      name: c.name,
      passed,
      spikesMatch: spikeMismatches === 0,
      spikeMismatches,
      forwardErrors: errors,
      loss: { expected: c.loss, actual: actualLoss, relativeError: lossError },
      gradients: comparisons,
      chunkedTraces: session.chunkedTraces,
    };
  } finally {
    session.dispose();
  }
}

/**
 * Runs every case of a gradient fixture on a backend and compares spikes (exactly), forward
 * states (within {@link FORWARD_TOLERANCE}), the loss and the e-prop gradients (relative error,
 * max-abs normalised, within `tolerance`, default {@link GRADCHECK_TOLERANCE}).
 * Throws {@link GradcheckFixtureError} when the fixture is malformed.
 */
export async function runGradcheck(
  fixture: unknown,
  options: {
    readonly backend: Backend;
    readonly tolerance?: number;
    /** How hidden-layer eligibility is evaluated (default `perStep`); see `EpropRuntimeOptions`. */
    readonly eligibility?: EligibilityMode;
    readonly chunkSteps?: number;
    /** Where chunked eligibility is evaluated (default: the device where the backend offers it); see `EpropRuntimeOptions`. */
    readonly chunkedTraces?: ChunkedTraces;
  },
): Promise<GradcheckReport> {
  const parsed = parseFixture(fixture);
  const tolerance = options.tolerance ?? GRADCHECK_TOLERANCE;
  const cases: GradcheckCaseReport[] = [];
  const evaluation = {
    eligibility: options.eligibility ?? "perStep",
    ...(options.chunkSteps !== undefined ? { chunkSteps: options.chunkSteps } : {}),
    ...(options.chunkedTraces !== undefined ? { chunkedTraces: options.chunkedTraces } : {}),
  } as const;
  for (const c of parsed.cases)
    cases.push(await runCase(parsed, c, options.backend, tolerance, evaluation));
  const chunked = evaluation.eligibility === "chunked";
  return {
    passed: cases.every((c) => c.passed),
    backend: options.backend.name,
    eligibility: evaluation.eligibility,
    chunkSteps: chunked ? (options.chunkSteps ?? DEFAULT_CHUNK_STEPS) : null,
    chunkedTraces: cases[0]?.chunkedTraces ?? null,
    tolerance,
    forwardTolerance: FORWARD_TOLERANCE,
    cases,
  };
}

/** A gradient-check report as text (a table per case) or as JSON (`{ json: true }`). */
export function formatGradcheckReport(
  report: GradcheckReport,
  options: { readonly json?: boolean } = {},
): string {
  if (options.json) return JSON.stringify(report, null, 2);
  const evaluation =
    report.eligibility === "chunked"
      ? `chunked eligibility, ${report.chunkSteps} steps per chunk, traces on the ${report.chunkedTraces}`
      : "per-step eligibility";
  const lines: string[] = [
    `e-prop gradient check on the ${report.backend} backend, ${evaluation} (tolerance ${report.tolerance.toExponential(0)} relative, max-abs normalised)`,
  ];
  for (const c of report.cases) {
    lines.push("");
    lines.push(`${c.passed ? "PASS" : "FAIL"}  ${c.name}`);
    lines.push(`  spikes      ${c.spikesMatch ? "identical" : `${c.spikeMismatches} differ`}`);
    const f = c.forwardErrors;
    lines.push(
      `  forward     max abs error v ${f.v.toExponential(2)}  a ${f.a.toExponential(2)}  A ${f.A.toExponential(2)}  psi ${f.psi.toExponential(2)}  y ${f.y.toExponential(2)}  pi ${f.pi.toExponential(2)}`,
    );
    lines.push(
      `  loss        ${c.loss.actual.toPrecision(8)} (fixture ${c.loss.expected.toPrecision(8)}, relative error ${c.loss.relativeError.toExponential(2)})`,
    );
    for (const g of c.gradients) {
      lines.push(
        `  ${g.name.padEnd(10)}  relative error ${g.relativeError.toExponential(2)}${g.passed ? "" : "  > tolerance"}`,
      );
    }
  }
  lines.push("");
  lines.push(
    report.passed
      ? `All ${report.cases.length} cases passed.`
      : `${report.cases.filter((c) => !c.passed).length} of ${report.cases.length} cases failed.`,
  );
  return lines.join("\n");
}
