import { describe, expect, it } from "vitest";
import { defineEpropNetwork, specAlifBeta } from "./define-network";
import { EpropConfigError } from "./errors";
import { LSNN_HIDDEN_LAYER, lsnnNetwork, type LsnnOptions } from "./lsnn";

const base: LsnnOptions = {
  dt: 1,
  numInputs: 5,
  numHidden: 5,
  numClasses: 3,
  neuron: "alif",
  tauMemMs: 20,
  tauAdaptMs: 2000,
  tauOutMs: 20,
  beta: null,
  feedback: "symmetric",
  regularisation: { strength: 0.001, targetRateHz: 10 },
  seed: 7,
};

describe("specAlifBeta", () => {
  it("is 1.7 (1 - rho) / (1 - alpha) and the default of an ALIF layer", () => {
    expect(specAlifBeta(1, 20, 2000)).toBeCloseTo(0.017424, 6);
    const layer = defineEpropNetwork({
      dt: 2,
      input: { size: 1 },
      hidden: [{ name: "h", size: 2, neuron: "ALIF", tauMemMs: 30, tauAdaptMs: 700 }],
      readout: { size: 1 },
    }).hidden[0]!;
    expect(layer.beta).toEqual([specAlifBeta(2, 30, 700), specAlifBeta(2, 30, 700)]);
  });
});

describe("lsnnNetwork", () => {
  it("describes input -> recurrent hidden -> leaky readout with the given settings", () => {
    const d = lsnnNetwork(base);
    expect(d.dt).toBe(1);
    expect(d.seed).toBe(7);
    expect(d.input.size).toBe(5);
    expect(d.readout).toMatchObject({ size: 3, tauOutMs: 20 });
    expect(d.hidden).toHaveLength(1);
    expect(d.hidden[0]).toMatchObject({
      name: LSNN_HIDDEN_LAYER,
      size: 5,
      neuron: "ALIF",
      recurrent: true,
      tauMemMs: 20,
      tauAdaptMs: 2000,
    });
    expect(d.hidden[0]!.beta).toEqual(new Array(5).fill(specAlifBeta(1, 20, 2000)));
    expect(d.feedback).toBe("symmetric");
    expect(d.regularisation).toMatchObject({ strength: 0.001, targetRateHz: 10 });
  });

  it("mixed: the first floor(n/2) neurons LIF (beta 0), the rest ALIF with the given beta", () => {
    const d = lsnnNetwork({ ...base, neuron: "mixed", beta: 0.15 });
    expect(d.hidden[0]!.neuron).toBe("ALIF");
    expect(d.hidden[0]!.beta).toEqual([0, 0, 0.15, 0.15, 0.15]);
    const spec = lsnnNetwork({ ...base, neuron: "mixed", numHidden: 4 }).hidden[0]!.beta;
    expect(spec).toEqual([0, 0, specAlifBeta(1, 20, 2000), specAlifBeta(1, 20, 2000)]);
  });

  it("lif ignores beta; beta 0 is kept for ALIF neurons", () => {
    const lif = lsnnNetwork({ ...base, neuron: "lif", beta: 0.3 }).hidden[0]!;
    expect(lif.neuron).toBe("LIF");
    expect(lif.beta).toEqual([0, 0, 0, 0, 0]);
    expect(lsnnNetwork({ ...base, beta: 0 }).hidden[0]!.beta).toEqual([0, 0, 0, 0, 0]);
  });

  it("feedforward, random feedback and no regularisation", () => {
    const d = lsnnNetwork({ ...base, recurrent: false, feedback: "random", regularisation: false });
    expect(d.hidden[0]!.recurrent).toBe(false);
    expect(d.feedback).toBe("random");
    expect(d.regularisation).toBeNull();
    const zero = lsnnNetwork({ ...base, regularisation: { strength: 0, targetRateHz: 10 } });
    expect(zero.regularisation).toBeNull();
  });

  it("refuses invalid settings with EpropConfigError", () => {
    expect(() => lsnnNetwork({ ...base, numHidden: 0 })).toThrow(EpropConfigError);
    expect(() => lsnnNetwork({ ...base, tauMemMs: -1 })).toThrow(/tauMemMs/);
  });
});
