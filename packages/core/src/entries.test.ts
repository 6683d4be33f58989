import { describe, expect, it } from "vitest";
import * as main from "./index";
import * as internal from "./internal";

// The line between @snn/core (the documented API) and @snn/core/internal (for backend authors).
const INTERNAL_ONLY = [
  "BYTES_PER_ELEMENT",
  "allocateVarArray",
  "expandVarValues",
  "fillInitialValues",
  "storedLength",
  "validateSpikeEvents",
  "changeDynamicParam",
  "dynamicParamNames",
  "findGroup",
  "PHILOX_M0",
  "PHILOX_M1",
  "PHILOX_W0",
  "PHILOX_W1",
  "RANDOM_FIELD",
  "UNIT_24",
  "mulHi32",
  "randomCounterBase",
  "analyseSnippet",
  "analyseStorage",
  "bindingKey",
  "compileStepProgram",
  "customUpdateSlot",
  "drawsRandom",
  "wasm",
];

describe("the entries of @snn/core", () => {
  it("keep the backend internals out of the main entry and in @snn/core/internal", () => {
    for (const name of INTERNAL_ONLY) {
      expect(main, name).not.toHaveProperty(name);
      expect(internal, name).toHaveProperty(name);
    }
    expect(Object.keys(internal).sort()).toEqual([...INTERNAL_ONLY].sort());
  });

  it("keep what the documented API needs in the main entry", () => {
    for (const name of [
      "Network",
      "planNetwork",
      "BackendRegistry",
      "BACKEND_INTERFACE_VERSION",
      "checkSnippet",
      "SnippetError",
      "SnnError",
      "RuntimeUsageError",
      "LIF",
      "ALIF",
      "seededRandom",
      "philox4x32",
      "uniformFromBlock",
      "normalFromBlock",
      "streamWord",
      "RNG_KEY_HI",
      "PLAN_VERSION",
    ])
      expect(main, name).toHaveProperty(name);
    expect(typeof internal.wasm.assembleModule).toBe("function");
  });
});
