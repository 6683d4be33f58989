import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cpuBackend } from "@snn/backend-cpu";
import { defineEpropNetwork } from "../define-network";
import type { EpropNetworkDescription } from "../description";
import { EpropRuntime } from "../eprop-runtime";
import { runGradcheck } from "../gradcheck";
import {
  deepNetwork,
  denseNetwork,
  denseParameters,
  maskedTrialData,
  randomInputs,
  relativeError,
  scaledParameters,
  toEvents,
} from "../test-support/networks";
import { referenceEprop } from "../test-support/reference-eprop";
import { prepareTrial } from "../trial";

const fixture = JSON.parse(
  readFileSync(new URL("../../test-data/eprop-gradient.json", import.meta.url), "utf8"),
);

describe("chunked eligibility through the normal compile-and-run path", () => {
  for (const chunkSteps of [1, 7, 16, 50, 64]) {
    it(`matches the gradient fixture (LIF, ALIF, mixed; all steps and last 10) with K = ${chunkSteps}`, async () => {
      const report = await runGradcheck(fixture, {
        backend: cpuBackend(),
        eligibility: "chunked",
        chunkSteps,
      });
      for (const c of report.cases) {
        expect(c.spikesMatch, c.name).toBe(true);
        for (const g of c.gradients)
          expect(g.relativeError, `${c.name} ${g.name}`).toBeLessThan(1e-4);
      }
      expect(report.passed).toBe(true);
    });
  }
});

describe("chunked eligibility against the float64 reference of the spec", () => {
  for (const [feedback, chunkSteps] of [
    ["symmetric", 5],
    ["random", 13],
    ["symmetric", 40],
  ] as const) {
    it(`2 hidden layers (ALIF recurrent, LIF feedforward), regulariser, padded batch of 4, per-element masks, ${feedback} feedback, T = 40, K = ${chunkSteps}`, async () => {
      const description = deepNetwork(feedback);
      const parameters = scaledParameters(description, 2.5);
      const { T, inputs, masks, labels } = maskedTrialData();
      const reference = referenceEprop(description, parameters, inputs, masks, labels);
      const session = await EpropRuntime.create(description, {
        backend: cpuBackend(),
        batchSize: 4,
        parameters,
        eligibility: "chunked",
        chunkSteps,
      });
      const trial = prepareTrial(
        {
          inputs: inputs.map(toEvents),
          labels: Int32Array.from(labels),
          numSteps: T,
          lossMask: Float32Array.from(masks.flat()),
        },
        description,
        4,
      );
      // Two trials: the second must not see state of the first.
      await session.runTrial(trial);
      await session.runTrial(trial);
      const gradients = await session.readGradients();
      for (const [name, expected] of Object.entries(reference.gradients)) {
        expect(relativeError(gradients[name]!, expected), name).toBeLessThan(1e-4);
      }
      session.dispose();
    });
  }

  it("holds the same state for every trial length (two hidden layers; one, as fused training)", async () => {
    const single = defineEpropNetwork({
      input: { size: 10 },
      hidden: [{ name: "h", size: 20, neuron: "ALIF", recurrent: true }],
      readout: { size: 3 },
      seed: 2,
    });
    for (const description of [deepNetwork("symmetric"), single]) {
      const sizes: number[] = [];
      for (const T of [20, 300]) {
        const session = await EpropRuntime.create(description, {
          backend: cpuBackend(),
          batchSize: 2,
          eligibility: "chunked",
          chunkSteps: 16,
        });
        const inputs = randomInputs(2, T, 10, 0.1, 3);
        await session.runTrial(
          prepareTrial(
            { inputs: inputs.map(toEvents), labels: Int32Array.of(0, 1), numSteps: T },
            description,
            2,
          ),
        );
        expect(session.fusedTraining).toBe(description === single);
        sizes.push(session.stateBytes);
        session.dispose();
      }
      expect(sizes[1]).toBe(sizes[0]);
    }
  });
});

/** Wider layers than deepNetwork's: several 16-neuron blocks per layer, so a chunk's shared calls have several tasks. */
function wideNetwork(): EpropNetworkDescription {
  return defineEpropNetwork({
    input: { size: 30 },
    hidden: [
      { name: "first", size: 50, neuron: "ALIF", recurrent: true, tauAdaptMs: 100 },
      { name: "second", size: 35, neuron: "LIF", inputs: ["input", "first"] },
    ],
    readout: { size: 4, inputs: ["first", "second"] },
    regularisation: { strength: 1, targetRateHz: 20, tauMs: 50 },
    seed: 5,
  });
}

describe("chunked eligibility with dense spikes (the complement path)", () => {
  type DenseCounts = {
    traces: {
      layers: {
        projections: { info: { name: string }; trace: { denseRows(): { total: number } } }[];
      }[];
    };
  };
  const denseTotals = (session: EpropRuntime): Record<string, number> =>
    Object.fromEntries(
      (session as unknown as DenseCounts).traces.layers.flatMap((layer) =>
        layer.projections.map((p) => [p.info.name, p.trace.denseRows().total]),
      ),
    );

  it("matches the float64 reference of the spec with the input at 85 % and hidden layers firing most steps (ALIF recurrent, LIF), batch 3, T = 45, K = 16; threaded and inline alike", async () => {
    const description = denseNetwork();
    const parameters = denseParameters(description);
    const T = 45;
    const inputs = randomInputs(3, T, 24, 0.85, 4);
    const masks = [
      Array.from({ length: T }, () => 1),
      Array.from({ length: T }, (_, t) => (t >= 20 ? 1 : 0)),
      Array.from({ length: T }, () => 1),
    ];
    const labels = [2, 0, 1];
    const reference = referenceEprop(description, parameters, inputs, masks, labels);
    for (const layer of description.hidden)
      for (const count of reference.spikeCounts[layer.name]!)
        expect(count, layer.name).toBeGreaterThan(0.7 * T * layer.size);
    const trial = prepareTrial(
      {
        inputs: inputs.map(toEvents),
        labels: Int32Array.from(labels),
        numSteps: T,
        lossMask: Float32Array.from(masks.flat()),
      },
      description,
      3,
    );
    const runs: Record<string, Float32Array>[] = [];
    for (const traceThread of [true, false]) {
      const session = await EpropRuntime.create(description, {
        backend: cpuBackend(),
        batchSize: 3,
        parameters,
        eligibility: "chunked",
        chunkSteps: 16,
        traceThread,
      });
      await session.runTrial(trial);
      // every hidden projection (input, recurrent, feedforward) took the dense path
      for (const [name, total] of Object.entries(denseTotals(session)))
        expect(total, name).toBeGreaterThan(0);
      const gradients = await session.readGradients();
      for (const [name, expected] of Object.entries(reference.gradients)) {
        expect(Math.max(...expected.map(Math.abs)), name).toBeGreaterThan(0);
        expect(relativeError(gradients[name]!, expected), name).toBeLessThan(1e-4);
      }
      runs.push(
        Object.fromEntries(
          Object.entries(gradients).map(([name, values]) => [name, Float32Array.from(values)]),
        ),
      );
      session.dispose();
    }
    for (const [name, values] of Object.entries(runs[0]!))
      expect(Array.from(values), name).toEqual(Array.from(runs[1]![name]!));
  });

  it("keeps sparse input on the event path", async () => {
    const description = denseNetwork();
    const T = 45;
    const session = await EpropRuntime.create(description, {
      backend: cpuBackend(),
      batchSize: 2,
      eligibility: "chunked",
      chunkSteps: 16,
      traceThread: false,
    });
    await session.runTrial(
      prepareTrial(
        {
          inputs: randomInputs(2, T, 24, 0.2, 5).map(toEvents),
          labels: Int32Array.of(0, 1),
          numSteps: T,
        },
        description,
        2,
      ),
    );
    const totals = denseTotals(session);
    expect(totals["input->first"]).toBe(0);
    expect(totals["input->second"]).toBe(0);
    session.dispose();
  });
});

describe("chunked traces in a worker thread", () => {
  const networks = [
    {
      name: "one block per layer, random feedback",
      description: () => deepNetwork("random"),
      channels: 10,
    },
    {
      name: "several blocks per layer (shared calls of several tasks), symmetric feedback, a loss mask",
      description: wideNetwork,
      channels: 30,
    },
  ];
  for (const network of networks) {
    it(`give gradients identical to the bit to the calling thread's, over several trials with a short last chunk (${network.name})`, async () => {
      const description = network.description();
      const parameters = scaledParameters(description, 2.5);
      const gradients: Record<string, Float32Array>[] = [];
      const threaded: boolean[] = [];
      for (const traceThread of [true, false]) {
        const session = await EpropRuntime.create(description, {
          backend: cpuBackend(),
          batchSize: 3,
          parameters,
          eligibility: "chunked",
          chunkSteps: 16,
          traceThread,
        });
        threaded.push(session.traceThread);
        for (const [T, seed] of [
          [70, 1],
          [37, 2],
          [16, 3],
        ] as const) {
          const inputs = randomInputs(3, T, network.channels, 0.15, seed);
          // The second trial learns only from its last 10 steps (steps without a learning signal).
          const lossMask =
            seed === 2
              ? Float32Array.from({ length: T }, (_, t) => (t >= T - 10 ? 1 : 0))
              : undefined;
          await session.runTrial(
            prepareTrial(
              {
                inputs: inputs.map(toEvents),
                labels: Int32Array.of(0, 1, 1),
                numSteps: T,
                ...(lossMask ? { lossMask } : {}),
              },
              description,
              3,
            ),
          );
        }
        const read = await session.readGradients();
        gradients.push(
          Object.fromEntries(
            Object.entries(read).map(([name, values]) => [name, Float32Array.from(values)]),
          ),
        );
        session.dispose();
      }
      // Node 20.16+ reaches worker threads through process.getBuiltinModule: there the first run really used one.
      const threadsAvailable =
        typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === "function";
      expect(threaded).toEqual([threadsAvailable, false]);
      expect(Object.keys(gradients[0]!).length).toBeGreaterThan(3);
      for (const [name, values] of Object.entries(gradients[0]!)) {
        expect(
          values.some((v) => v !== 0),
          name,
        ).toBe(true);
        expect(Array.from(values), name).toEqual(Array.from(gradients[1]![name]!));
      }
    });
  }
});
